"""The answer for a pipe or a file: exactly the model's text, and nothing else, on stdout.

Text that may still turn out to be thinking (``reasoning``) is held back until that is
decided, because nothing written to a pipe can be taken back. The thinking itself goes
to a second stream (stderr) only when asked for: dimmed there when it is a terminal, with
its control characters made visible, plain otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from zorac_repl.render.safe_text import visible_controls
from zorac_repl.stats import StreamStats

__all__ = ["PlainAnswerView"]

_DIM, _NORMAL = "\x1b[2m", "\x1b[22m"


class PlainAnswerView:
    """Writes the answer through ``write``, ending with a newline.

    Args:
        write: the answer's stream (stdout).
        write_thought: where the thinking goes, if anywhere (stderr).
        thought_is_terminal: that stream is a terminal: dim it, and keep escapes inert.
    """

    def __init__(
        self,
        write: Callable[[str], None],
        write_thought: Callable[[str], None] | None = None,
        thought_is_terminal: bool = False,
    ) -> None:
        self._write = write
        self._write_thought = write_thought
        self._thought_is_terminal = thought_is_terminal
        self._ends_with_newline = True
        self._held: list[str] = []
        self._thought_open = False  # thinking was written and not yet ended with a newline

    def begin(self, stats: StreamStats) -> None:
        pass

    def text(self, delta: str, provisional: bool = False) -> None:
        self._end_thought()
        if provisional:
            self._held.append(delta)
            return
        self._write(delta)
        self._ends_with_newline = delta.endswith("\n")

    def settle(self, is_answer: bool) -> None:
        held, self._held = "".join(self._held), []
        if is_answer and held:
            self.text(held)

    def reasoning(self, delta: str) -> None:
        if self._write_thought is None:
            return
        if self._thought_is_terminal:
            delta = f"{_DIM}{visible_controls(delta)}{_NORMAL}"
        self._write_thought(delta)
        self._thought_open = True

    async def end(self, status: str = "complete") -> None:
        self._end_thought()
        if self._held:  # cut short while undecided: it was shown as answer nowhere yet
            self.settle(is_answer=True)
        if not self._ends_with_newline:
            self._write("\n")

    def _end_thought(self) -> None:
        if self._thought_open and self._write_thought is not None:
            self._write_thought("\n\n")
        self._thought_open = False
