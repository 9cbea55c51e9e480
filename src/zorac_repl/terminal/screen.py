"""The terminal while an answer streams: quiet input, its size, and where its cursor is.

The REPL keeps the terminal raw from its first prompt to its last (``keyboard``). One-shot
mode has no prompt: ``quiet_input`` turns echo and line editing off there while the answer
streams, so typed keys do not tear the live region, but keeps signals, so Ctrl+C arrives
as SIGINT and anything typed stays queued for the shell.
``CursorProbe`` asks the terminal for its cursor position (after a resize); the REPL's
``KeyReader`` reads the answer and keeps the keys around it for the next prompt.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TextIO

from zorac_repl.terminal.keyboard import KeyReader

__all__ = [
    "CursorProbe",
    "flushing_writer",
    "known_to_rewrap",
    "quiet_input",
    "terminal_columns",
    "terminal_rows",
    "wrap_words",
    "wrapped_for",
]


@contextlib.contextmanager
def quiet_input() -> Iterator[None]:
    """No echo, no line editing, signals on; restored on exit. Does nothing off a terminal."""
    try:
        import termios

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError):
        yield
        return
    quiet = list(saved)
    quiet[3] = (quiet[3] & ~(termios.ECHO | termios.ICANON)) | termios.ISIG
    try:
        termios.tcsetattr(fd, termios.TCSANOW, quiet)
        yield
    finally:
        with contextlib.suppress(OSError):
            termios.tcsetattr(fd, termios.TCSANOW, saved)


def terminal_rows(fd: int = 1) -> int:
    """The terminal's height in rows now (24 when it cannot be told)."""
    try:
        return os.get_terminal_size(fd).lines or 24
    except OSError:
        return 24


def terminal_columns(fd: int = 1) -> int | None:
    """The terminal's real width now, whatever $COLUMNS says (``None`` when not a terminal)."""
    try:
        return os.get_terminal_size(fd).columns or None
    except OSError:
        return None


def wrap_words(text: str, width: int) -> list[str]:
    """``text`` in rows of at most ``width`` columns, cut at spaces (a word longer than a
    row is cut too); the terminal would cut mid-word."""
    import textwrap

    return textwrap.wrap(text, max(1, width), break_on_hyphens=False) or [""]


def wrapped_for(stream: TextIO, text: str) -> str:
    """``text`` wrapped at words for ``stream`` when it is a terminal; as it is otherwise
    (a file or a pipe keeps each line whole)."""
    columns = terminal_columns(stream.fileno()) if stream.isatty() else None
    return "\n".join(wrap_words(text, columns)) if columns else text


def flushing_writer(stream: TextIO) -> Callable[[str], None]:
    """A ``write`` that flushes at once, so each frame reaches the terminal whole."""

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write


# Terminals that re-wrap the rows on screen when they get narrower, by what they put in
# the environment of the programs they run.
_REWRAPPING_MARKERS = ("TMUX", "KITTY_WINDOW_ID", "WEZTERM_PANE", "VTE_VERSION")
_REWRAPPING_PROGRAMS = frozenset({"iTerm.app", "Apple_Terminal", "WezTerm", "ghostty", "vscode"})


def known_to_rewrap(environ: Mapping[str, str]) -> bool | None:
    """``True`` when the environment names a terminal that re-wraps rows on a resize."""
    if any(environ.get(name) for name in _REWRAPPING_MARKERS):
        return True
    return True if environ.get("TERM_PROGRAM") in _REWRAPPING_PROGRAMS else None


class CursorProbe:
    """Asks the terminal where its cursor is, while an answer streams.

    The answer comes on stdin, among whatever the user types meanwhile; ``keys`` reads it
    there and keeps the rest for the next prompt. One probe serves a whole session, so
    what one resize showed about the terminal (``rewraps``) is known at the next.

    Args:
        write: writes to the terminal and flushes.
        keys: reads the terminal's input while the answer streams.
        rewraps: whether the terminal is known to re-wrap rows on a resize.
    """

    def __init__(
        self, write: Callable[[str], None], keys: KeyReader, rewraps: bool | None = None
    ) -> None:
        self._write = write
        self._keys = keys
        self.rewraps = rewraps
        self._is_silent = False  # it did not answer once: do not hold frames for it again

    async def position(self, timeout: float = 1.0) -> tuple[int, int] | None:
        """The cursor's (row, column), counted from 0; ``None`` when the terminal is silent."""
        if self._is_silent or not self._keys.is_reading:
            return None
        self._write("\x1b[6n")
        found = await self._keys.cursor_report(timeout)
        if found is None and self._keys.is_reading:
            self._is_silent = True
        return found
