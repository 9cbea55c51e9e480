"""The keyboard while the REPL is busy: keys are kept for the next prompt, Ctrl+C stops.

The REPL holds the terminal in raw mode for as long as it runs, so no key is ever echoed
or eaten by the terminal's line editing between prompts (cooked mode would turn Ctrl+D
into an end-of-file nobody reads, and echo a paste over the answer). While an answer
streams, ``KeyReader`` reads stdin itself, through the parser the prompt uses: Ctrl+C
outside a paste stops the work, a cursor report answers ``CursorProbe``, and every other
key is kept, in order, for the next prompt. Bracketed paste stays on meanwhile, so a
paste arrives there as one paste.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import select
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyPress

__all__ = ["KeyReader", "suspend"]

# The paste markers the parser takes off a bracketed paste's text.
_PASTE_MARKERS = len("\x1b[200~") + len("\x1b[201~")
# How long ``stop`` waits for the rest of a paste or of an escape sequence.
_PASTE_GRACE = 0.5
_SEQUENCE_GRACE = 0.05


class KeyReader:
    """Reads the keyboard between prompts, through prompt_toolkit's own parser.

    The bytes are parsed once, as the prompt would parse them: a bracketed paste comes out
    as one key (a Ctrl+C inside it is text), a cursor report as one key, Ctrl+C as one
    key. The keys kept are handed to the next prompt as they are (``take``).

    Args:
        fd: the terminal's input.
        write: writes to the terminal and flushes (to keep bracketed paste on).
    """

    def __init__(self, fd: int, write: Callable[[str], None]) -> None:
        # Only the REPL makes one, and it has prompt_toolkit loaded; one-shot mode must not.
        from prompt_toolkit.keys import Keys

        from zorac_repl.terminal.paste_parser import LinearPasteParser

        self._fd = fd
        self._write = write
        self._paste, self._cursor_report, self._ctrl_c, self._ctrl_z = (
            Keys.BracketedPaste,
            Keys.CPRResponse,
            Keys.ControlC,
            Keys.ControlZ,
        )
        self._keys: list[KeyPress] = []
        self._parser = LinearPasteParser(self._on_key)
        self._decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        # Characters fed that no key has accounted for yet: a sequence or a paste under way.
        self._unparsed = 0
        self._on_interrupt: Callable[[], object] | None = None
        self._report: asyncio.Future[tuple[int, int] | None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def is_reading(self) -> bool:
        return self._loop is not None

    def start(self, on_interrupt: Callable[[], object]) -> None:
        """Read keys from now on; Ctrl+C typed outside a paste calls ``on_interrupt``."""
        loop = asyncio.get_running_loop()
        try:
            loop.add_reader(self._fd, self._on_readable)
        except (OSError, ValueError, NotImplementedError):
            return
        self._loop = loop
        self._on_interrupt = on_interrupt
        # prompt_toolkit turns it off when its prompt ends; a paste made now is one paste.
        self._write("\x1b[?2004h")

    def stop(self) -> None:
        """Stop reading; what was typed waits in ``take``. A paste under way is read whole."""
        if self._loop is None:
            return
        self._loop.remove_reader(self._fd)
        self._loop = None
        self._on_interrupt = None
        if self._report is not None and not self._report.done():
            self._report.set_result(None)
        self._finish_sequence()

    def take(self) -> list[KeyPress]:
        """The keys kept since the last call, in the order they were typed."""
        keys, self._keys = self._keys, []
        return keys

    async def cursor_report(self, timeout: float) -> tuple[int, int] | None:
        """The next cursor position the terminal reports, as (row, column) from 0."""
        if self._loop is None:
            return None
        self._report = self._loop.create_future()
        try:
            return await asyncio.wait_for(self._report, timeout)
        except TimeoutError:
            return None
        finally:
            self._report = None

    def _on_readable(self) -> None:
        try:
            data = os.read(self._fd, 65536)
        except OSError:
            data = b""
        if not data:  # the terminal went away: nothing more will come
            if self._loop is not None:
                self._loop.remove_reader(self._fd)
                self._loop = None
            return
        self._feed(data)

    def _feed(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        self._unparsed += len(text)
        self._parser.feed(text)

    def _on_key(self, key: KeyPress) -> None:
        pasted = key.key == self._paste
        self._unparsed -= len(key.data) + (_PASTE_MARKERS if pasted else 0)
        if key.key == self._cursor_report:
            # ESC [ row ; column R, counted from 1. One nobody waits for is of no use.
            if self._report is not None and not self._report.done():
                row, _, column = key.data[2:-1].partition(";")
                self._report.set_result((int(row) - 1, int(column) - 1))
            return
        if key.key == self._ctrl_c and self._on_interrupt is not None:
            self._on_interrupt()
            return
        if key.key == self._ctrl_z:
            suspend(self._fd, self._write)
            return
        self._keys.append(key)

    def _is_unfinished(self) -> bool:
        """A paste, an escape sequence or a character is only partly read."""
        return self._unparsed > 0 or bool(self._decoder.getstate()[0])

    def _finish_sequence(self) -> None:
        """Read on, briefly, when the keys end in the middle of a paste or sequence.

        Handing half a paste to the prompt would make two (and send the first half). What
        is still unfinished after the wait is handed over as the keys it is so far.
        """
        deadline = time.monotonic() + _PASTE_GRACE
        while self._is_unfinished():
            grace = _PASTE_GRACE if self._parser_in_paste else _SEQUENCE_GRACE
            left = min(deadline - time.monotonic(), grace)
            if left <= 0:
                break
            with contextlib.suppress(OSError, ValueError):
                ready, _, _ = select.select([self._fd], [], [], left)
                if not ready:
                    break
                data = os.read(self._fd, 65536)
                if not data:
                    break
                self._feed(data)
        if self._is_unfinished():
            self._parser.flush()  # a lone Escape, say: a key of its own
            self._unparsed = 0

    @property
    def _parser_in_paste(self) -> bool:
        # The parser's own state: it has read a paste's start marker and not its end.
        return bool(getattr(self._parser, "_in_bracketed_paste", True))


def suspend(fd: int, write: Callable[[str], None]) -> None:
    """Ctrl+Z while busy: stop like any shell program, the terminal as the shell wants it
    (cooked, echo on, bracketed paste off), and take it back on ``fg``.

    The answer waits meanwhile: the whole process stops, and goes on where it was.
    """
    import signal

    from prompt_toolkit.input.vt100 import cooked_mode

    write("\x1b[?2004l\x1b[?25h")
    with cooked_mode(fd):
        os.kill(0, signal.SIGTSTP)  # the process group, as a shell's job
    write("\x1b[?2004h")
