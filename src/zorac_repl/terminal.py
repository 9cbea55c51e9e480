"""The terminal's input mode while an answer streams: keys are not echoed, Ctrl+C still signals.

Between prompts the terminal is in cooked mode, so typed keys would be echoed into the
live region and tear it. ``quiet_input`` turns echo and line editing off but keeps
signals, so Ctrl+C arrives as SIGINT and anything typed stays queued for the next prompt.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["flushing_writer", "quiet_input", "terminal_columns", "terminal_rows"]


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


def flushing_writer(stream: TextIO) -> Callable[[str], None]:
    """A ``write`` that flushes at once, so each frame reaches the terminal whole."""

    def write(text: str) -> None:
        stream.write(text)
        stream.flush()

    return write
