"""Lines for the user between answers, through one Rich console made on first use.

Nothing printed here is read as Rich markup, and control characters show as symbols,
so text from users, models and servers appears exactly as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["Printer"]


class Printer:
    """Says things to the user; Rich is imported only when the first line is printed.

    Args:
        console: where lines go; by default a console on stdout, made on first use.
    """

    def __init__(self, console: Console | None = None) -> None:
        self._console = console

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console

    def say(self, text: str, style: str | None = None) -> None:
        """Print ``text`` literally: ``[bold]`` stays ``[bold]``, an escape code shows as ``␛``."""
        from zorac_repl.render.safe_text import visible_controls

        self.console.print(visible_controls(text), markup=False, style=style, emoji=False)

    def markdown(self, text: str) -> None:
        """Render ``text`` as Markdown, as an answer is (a summary the model wrote)."""
        from zorac_repl.render.markdown import render_lines
        from zorac_repl.render.safe_text import visible_controls

        rows = render_lines(self.console, visible_controls(text), first_fence=None)
        self.console.file.write("".join(f"{row}\n" for row in rows))
        self.console.file.flush()
