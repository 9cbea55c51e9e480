"""Lines for the user between answers, through one Rich console made on first use.

Nothing printed here is read as Rich markup, and control characters show as symbols,
so text from users, models and servers appears exactly as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def table(
        self,
        rows: Sequence[Sequence[str]],
        heading: str = "",
        footer: str = "",
        cut: bool = False,
        indent: int = 2,
    ) -> None:
        """``rows`` as columns at the console's width: the last column wraps at word
        boundaries under itself, or is cut with "…" when ``cut``."""
        if heading:
            self.say(heading)
        for line in table_lines(rows, self.console.width, cut, indent):
            self.console.print(
                line, markup=False, emoji=False, highlight=False, overflow="ignore", crop=False
            )
        if footer:
            self.say(footer)

    def markdown(self, text: str) -> None:
        """Render ``text`` as Markdown, as an answer is (a summary the model wrote)."""
        from zorac_repl.render.markdown import render_lines
        from zorac_repl.render.safe_text import visible_controls

        rows = render_lines(self.console, visible_controls(text), first_fence=None)
        self.console.file.write("".join(f"{row}\n" for row in rows))
        self.console.file.flush()


def table_lines(rows: Sequence[Sequence[str]], width: int, cut: bool, indent: int = 2) -> list[str]:
    """The lines of ``rows`` in ``width`` columns (see ``Printer.table``)."""
    from rich.cells import cell_len, set_cell_size

    from zorac_repl.render.safe_text import visible_controls
    from zorac_repl.terminal.screen import wrap_words

    cleaned = [[visible_controls(cell) for cell in row] for row in rows]
    columns = max((len(row) for row in cleaned), default=0)
    widths = [
        max((cell_len(row[index]) for row in cleaned if len(row) > index + 1), default=0)
        for index in range(columns - 1)
    ]
    lines = []
    for row in cleaned:
        lead = " " * indent + "".join(
            set_cell_size(cell, widths[index]) + "  " for index, cell in enumerate(row[:-1])
        )
        room = max(12, width - cell_len(lead) - 1)
        last = row[-1] if row else ""
        if cut:
            lines.append(
                (
                    lead + (last if cell_len(last) <= room else set_cell_size(last, room - 1) + "…")
                ).rstrip()
            )
            continue
        pieces = wrap_words(last, room)
        lines.append((lead + pieces[0]).rstrip())
        lines += [" " * cell_len(lead) + piece for piece in pieces[1:]]
    return lines
