"""The rows at the bottom of an inline terminal session that are redrawn in place.

Rows above the live region are scrollback and are never touched again; each frame moves
the cursor back to the live region's first row, erases downwards, prints any rows that
became final, then the new live rows. A frame is wrapped in synchronized output (DEC
private mode 2026) so terminals that support it never show half a frame; the others
ignore the sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["LiveRegion"]

_BEGIN_SYNC = "\x1b[?2026h"
_END_SYNC = "\x1b[?2026l"
_ERASE_DOWN = "\x1b[J"


class LiveRegion:
    """Draws frames of (final rows, live rows) through ``write``.

    The cursor is kept at the end of the last live row, never below it, so a live region
    at the bottom of the screen does not scroll an empty row into view. Rows must already
    fit the terminal's width: a row that wrapped would throw the cursor arithmetic off.

    Args:
        write: writes text to the terminal and flushes it.
        synchronized: wrap frames in DEC mode 2026.
    """

    def __init__(self, write: Callable[[str], None], synchronized: bool = True) -> None:
        self._write = write
        self._synchronized = synchronized
        self._rows = 0  # rows the live region occupies now, the cursor's row included
        self.bytes_written = 0

    def draw(self, final: Sequence[str], live: Sequence[str]) -> None:
        """Print ``final`` rows into scrollback and show ``live`` below them."""
        parts = [_BEGIN_SYNC] if self._synchronized else []
        parts.append(self._home())
        for row in final:
            parts.append(row)
            parts.append("\r\n")
        parts.append("\r\n".join(live))
        if self._synchronized:
            parts.append(_END_SYNC)
        self._rows = max(1, len(live))
        self._emit("".join(parts))

    def clear(self) -> None:
        """Erase the live region and leave the cursor at the start of its first row."""
        if self._rows:
            self._emit(self._home())
        self._rows = 0

    def _home(self) -> str:
        if self._rows <= 1:
            return "\r" + _ERASE_DOWN
        return f"\r\x1b[{self._rows - 1}A{_ERASE_DOWN}"

    def _emit(self, text: str) -> None:
        self.bytes_written += len(text.encode("utf-8", "replace"))
        self._write(text)
