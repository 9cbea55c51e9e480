"""The keyboard while the REPL is busy: keys are kept for the next prompt, Ctrl+C stops.

The REPL holds the terminal in raw mode for as long as it runs, so no key is ever echoed
or eaten by the terminal's line editing between prompts (cooked mode would turn Ctrl+D
into an end-of-file nobody reads, and echo a paste over the answer). While an answer
streams, ``KeyReader`` reads stdin itself: Ctrl+C outside a paste stops the work, a
cursor report answers ``CursorProbe``, and every other byte is kept, in order, for the
next prompt. Bracketed paste stays on meanwhile, so a paste arrives there as one paste.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import select
import time
from collections.abc import Callable

__all__ = ["KeyReader"]

_CTRL_C = 0x03
_PASTE_START = b"\x1b[200~"
_PASTE_END = b"\x1b[201~"
# The terminal's answer to ESC[6n: ESC [ row ; column R, both counted from 1.
_CURSOR_REPORT = re.compile(rb"\x1b\[(\d+);(\d+)R")
# An escape sequence cut off at the end of what was read: the rest is on its way.
_UNFINISHED_ESCAPE = re.compile(rb"\x1b(\[[0-9;:<=>?]*|O)?$")
# How long ``stop`` waits for the rest of a paste or of an escape sequence.
_PASTE_GRACE = 0.5
_SEQUENCE_GRACE = 0.05


class KeyReader:
    """Reads the keyboard between prompts.

    Args:
        fd: the terminal's input.
        write: writes to the terminal and flushes (to keep bracketed paste on).
    """

    def __init__(self, fd: int, write: Callable[[str], None]) -> None:
        self._fd = fd
        self._write = write
        self._kept = bytearray()
        self._scanned = 0  # bytes of ``_kept`` already looked at for Ctrl+C and markers
        self._in_paste = False
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

    def take(self) -> bytes:
        """The keys kept since the last call, in the order they were typed."""
        kept = bytes(self._kept)
        self._kept.clear()
        self._scanned = 0
        return kept

    async def cursor_report(self, timeout: float) -> tuple[int, int] | None:
        """The next cursor position the terminal reports, as (row, column) from 0."""
        if self._loop is None:
            return None
        self._report = self._loop.create_future()
        self._scan()
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
        self._kept += data
        self._scan()

    def _scan(self) -> None:
        """Look at the new bytes: paste markers, Ctrl+C, the cursor report awaited.

        Linear in what arrived: a paste is skipped to its end marker in one search.
        """
        kept = self._kept
        index = self._scanned
        while index < len(kept):
            if self._in_paste:
                end = kept.find(_PASTE_END, index)
                if end == -1:
                    # The end marker may be cut off: look at its first bytes again later.
                    index = max(index, len(kept) - len(_PASTE_END) + 1)
                    break
                self._in_paste = False
                index = end + len(_PASTE_END)
                continue
            if kept.startswith(_PASTE_START, index):
                self._in_paste = True
                index += len(_PASTE_START)
                continue
            if len(kept) - index < len(_PASTE_START) and _PASTE_START.startswith(kept[index:]):
                break  # maybe a marker, cut off: wait for the rest
            if self._report is not None and not self._report.done():
                found = _CURSOR_REPORT.match(kept, index)
                if found is not None:
                    position = (int(found.group(1)) - 1, int(found.group(2)) - 1)
                    del kept[index : found.end()]  # after reading it: the match reads ``kept``
                    self._report.set_result(position)
                    continue
                if _UNFINISHED_ESCAPE.fullmatch(kept, index):
                    break
            if kept[index] == _CTRL_C and self._on_interrupt:
                del kept[index]
                self._on_interrupt()
                continue
            index += 1
        self._scanned = index

    def _finish_sequence(self) -> None:
        """Read on, briefly, when the keys kept end in the middle of a paste or sequence.

        Handing half a paste to the prompt would make two (and send the first half).
        """
        deadline = time.monotonic() + _PASTE_GRACE
        while self._in_paste or self._is_cut_off():
            grace = _PASTE_GRACE if self._in_paste else _SEQUENCE_GRACE
            left = min(deadline - time.monotonic(), grace)
            if left <= 0:
                return
            with contextlib.suppress(OSError, ValueError):
                ready, _, _ = select.select([self._fd], [], [], left)
                if not ready:
                    return
                data = os.read(self._fd, 65536)
                if not data:
                    return
                self._kept += data
                self._scan()

    def _is_cut_off(self) -> bool:
        tail = bytes(self._kept[-8:])
        if _UNFINISHED_ESCAPE.search(tail):
            return True
        try:
            tail.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.reason == "unexpected end of data"
        return False
