"""prompt_toolkit's key parser with bracketed pastes taken in linear time.

``Vt100Parser`` appends each read (1 KB at the prompt) to its paste buffer and searches
the whole buffer again for the end marker: a 2 MB paste took 1.9 s, 8 MB 29 s, 40 MB did
not finish in 13 minutes, with the REPL frozen throughout. Here a paste's reads are kept
as a list, only the new read (and the few characters before it) is searched, and the
paste is joined once, when its end marker comes. Everything else is the parent's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from prompt_toolkit.input.posix_utils import PosixStdinReader
from prompt_toolkit.input.vt100 import Vt100Input
from prompt_toolkit.input.vt100_parser import Vt100Parser
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

__all__ = ["LinearPasteInput", "LinearPasteParser"]

_END = "\x1b[201~"


class LinearPasteParser(Vt100Parser):
    """A ``Vt100Parser`` whose bracketed pastes cost time linear in their size."""

    def __init__(self, feed_key_callback: Callable[[KeyPress], None]) -> None:
        super().__init__(feed_key_callback)
        self._pieces: list[str] = []
        self._pasted = 0  # characters in ``_pieces``
        self._carry = ""  # the last characters read, where an end marker may begin

    def feed(self, data: str) -> None:
        if not self._in_bracketed_paste:
            super().feed(data)  # it calls ``feed`` again from where a paste begins
            return
        window = self._carry + data
        found = window.find(_END)
        if found == -1:
            self._pieces.append(data)
            self._pasted += len(data)
            self._carry = window[-(len(_END) - 1) :]
            return
        end = self._pasted - len(self._carry) + found  # where the marker begins
        whole = "".join([*self._pieces, data])
        self._pieces, self._pasted, self._carry = [], 0, ""
        self._in_bracketed_paste = False
        self._paste_buffer = ""
        self.feed_key_callback(KeyPress(Keys.BracketedPaste, whole[:end]))
        self.feed(whole[end + len(_END) :])


class _LargeReads(PosixStdinReader):
    """Reads of 64 KiB: a paste in prompt_toolkit's 1 KiB reads costs one trip through the
    event loop each."""

    def read(self, count: int = 65536) -> str:
        return super().read(count)


class LinearPasteInput(Vt100Input):
    """The terminal's input for the prompt: parsed by ``LinearPasteParser``, read 64 KiB at
    a time."""

    def __init__(self, stdin: TextIO) -> None:
        super().__init__(stdin)
        # ``_buffer`` is a new list after each read: look it up at each key.
        self.vt100_parser = LinearPasteParser(lambda key_press: self._buffer.append(key_press))
        self.stdin_reader = _LargeReads(self._fileno, encoding=stdin.encoding)
