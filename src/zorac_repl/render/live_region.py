"""The rows at the bottom of an inline terminal session that are redrawn in place.

Rows above the live region are scrollback and are never touched again. A frame says which
rows became final and what the live rows are now; the region compares that with what the
screen shows and rewrites only from the first row that differs. Streamed text grows at
the bottom, so a frame usually rewrites one text row and the toolbar, and rows that become
final are usually on screen already, exactly as they will stay. Frames are wrapped in
synchronized output (DEC private mode 2026) so terminals that support it never show half
a frame; the others ignore the sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["LiveRegion"]

_BEGIN_SYNC = "\x1b[?2026h"
_END_SYNC = "\x1b[?2026l"
_ERASE_DOWN = "\x1b[J"
_HIDE_CURSOR = "\x1b[?25l"
_SHOW_CURSOR = "\x1b[?25h"


class LiveRegion:
    """Draws frames of (final rows, live rows) through ``write``.

    The cursor is kept at the end of the last live row, never below it, so a live region
    at the bottom of the screen does not scroll an empty row into view; it is hidden while
    the region is live. Rows must already fit the terminal's width: a row that wrapped
    would throw the cursor arithmetic off.

    Args:
        write: writes text to the terminal and flushes it.
        synchronized: wrap frames in DEC mode 2026.
    """

    def __init__(self, write: Callable[[str], None], synchronized: bool = True) -> None:
        self._write = write
        self._synchronized = synchronized
        self._shown: list[str] = []  # the live rows on screen, top first
        self._is_active = False
        self.bytes_written = 0

    def draw(self, final: Sequence[str], live: Sequence[str]) -> None:
        """Print ``final`` rows into scrollback and show ``live`` below them."""
        # An empty live region is one empty row, so the cursor waits on a fresh row.
        live = list(live) or [""]
        wanted = [*final, *live]
        same = 0
        limit = min(len(wanted), len(self._shown))
        while same < limit and wanted[same] == self._shown[same]:
            same += 1
        if same == len(wanted) == len(self._shown):
            self._shown = live
            return
        # Rows only went away at the bottom: rewrite the last kept one, erasing below it.
        same = min(same, len(wanted) - 1)
        parts = [_BEGIN_SYNC] if self._synchronized else []
        if not self._is_active:
            parts.append(_HIDE_CURSOR)
            self._is_active = True
        parts.append(self._move_to(same) + _ERASE_DOWN)
        parts.append("\r\n".join(wanted[same:]))
        if self._synchronized:
            parts.append(_END_SYNC)
        self._shown = live
        self._emit("".join(parts))

    def clear(self) -> None:
        """Erase the live region and leave the cursor at the start of its first row."""
        if self._is_active:
            self._emit(self._move_to(0) + _ERASE_DOWN + _SHOW_CURSOR)
        self._shown = []
        self._is_active = False

    def _move_to(self, row: int) -> str:
        """From the end of the last shown row to the start of row ``row`` of the region."""
        if self._shown and row >= len(self._shown):
            return "\r\n"  # the row just below the region
        up = len(self._shown) - 1 - row
        return "\r" + (f"\x1b[{up}A" if up > 0 else "")

    def _emit(self, text: str) -> None:
        self.bytes_written += len(text.encode("utf-8", "replace"))
        self._write(text)
