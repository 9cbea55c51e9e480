"""The rows at the bottom of an inline terminal session that are redrawn in place.

Rows above the live region are scrollback and are never touched again. A frame says which
rows became final and what the live rows are now; the region compares that with what the
screen shows and rewrites only from the first row that differs. Streamed text grows at
the bottom, so a frame usually rewrites one text row and the toolbar, and rows that become
final are usually on screen already, exactly as they will stay. Frames are wrapped in
synchronized output (DEC private mode 2026) so terminals that support it never show half
a frame; the others ignore the sequence.

The region counts screen rows, not strings: a row wider than the terminal wraps and
fills several. When the terminal's width changes, the region goes back up to its top and
redraws everything at the new width. How far up that is depends on the terminal: most
(tmux, kitty, iTerm2, VTE, Windows Terminal…) re-wrap the rows on screen, so narrowing
makes the region taller; others (xterm) cut the rows and keep their number. The caller
asks the terminal where the cursor is after the resize (``ResizeReport``): the end of the
toolbar row moves to a column that tells the two apart. Without a report, or when both
would put the cursor in the same column, the region goes up only as far as both agree
on, so nothing outside it is ever erased. Rows a re-wrapping terminal pushed above the
top of the screen are in scrollback and out of reach: ``rows_out_of_reach`` counts them,
and the caller either drops them from the region (``forget_top``) and never draws them
again, or the redrawn region repeats them.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len

__all__ = ["LiveRegion", "ResizeReport"]

_BEGIN_SYNC = "\x1b[?2026h"
_END_SYNC = "\x1b[?2026l"
_ERASE_LINE = "\x1b[K"
_SAVE_CURSOR = "\x1b7"
_RESTORE_CURSOR = "\x1b8"
_HIDE_CURSOR = "\x1b[?25l"
_SHOW_CURSOR = "\x1b[?25h"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _up(rows: int) -> str:
    """Cursor up ``rows`` rows (nothing for none)."""
    return f"\x1b[{rows}A" if rows > 0 else ""


@functools.lru_cache(maxsize=4096)
def _cells(row: str) -> int:
    return cell_len(_ANSI.sub("", row))


def _screen_rows(row: str, width: int | None) -> int:
    """How many screen rows ``row`` fills at ``width`` columns (unknown width: one)."""
    if width is None or len(row) <= width // 2:
        return 1  # even all double-width characters would fit
    return max(1, math.ceil(_cells(row) / max(1, width)))


@dataclass(frozen=True)
class ResizeReport:
    """Where the terminal put the cursor after a resize (0-based), and what it is known to do.

    ``rewraps`` is what earlier resizes showed (``None``: not known yet).
    """

    row: int
    column: int
    rewraps: bool | None = None


class LiveRegion:
    """Draws frames of (final rows, live rows) through ``write``.

    The cursor is kept at the end of the last live row, never below it, so a live region
    at the bottom of the screen does not scroll an empty row into view; it is hidden while
    the region is live. Rows wider than the terminal are counted as the screen rows they
    wrap onto.

    Args:
        write: writes text to the terminal and flushes it.
        synchronized: wrap frames in DEC mode 2026.
    """

    def __init__(self, write: Callable[[str], None], synchronized: bool = True) -> None:
        self._write = write
        self._synchronized = synchronized
        self._shown: list[str] = []  # the live rows on screen, top first
        self._width: int | None = None  # the width they were drawn at
        self._is_active = False
        self.bytes_written = 0
        # Whether the terminal re-wrapped rows at the last resize (None: it could not tell).
        self.rewraps: bool | None = None

    def draw(
        self,
        final: Sequence[str],
        live: Sequence[str],
        width: int | None = None,
        report: ResizeReport | None = None,
    ) -> None:
        """Print ``final`` rows into scrollback and show ``live`` below them.

        ``width`` is the terminal's width now; when it differs from the last frame's, the
        region is redrawn whole (see the module's note on resizing), and ``report`` says
        where the terminal put the cursor.
        """
        # An empty live region is one empty row, so the cursor waits on a fresh row.
        live = list(live) or [""]
        wanted = [*final, *live]
        if width is not None and self._width is not None and width != self._width and (self._shown):
            rows_up, rows_on_screen = self._rows_after_resize(width, report)
            self._width = width
            self._rewrite(0, wanted, live, up=rows_up, old_rows=rows_on_screen)
            return
        if width is not None:
            self._width = width
        same = 0
        limit = min(len(wanted), len(self._shown))
        while same < limit and wanted[same] == self._shown[same]:
            same += 1
        if same == len(wanted) == len(self._shown):
            self._shown = live
            return
        # Rows only went away at the bottom: rewrite the last kept one, erasing below it.
        self._rewrite(min(same, len(wanted) - 1), wanted, live)

    def _rewrite(
        self,
        start: int,
        wanted: list[str],
        live: list[str],
        up: int | None = None,
        old_rows: int | None = None,
    ) -> None:
        """Rewrite the region from row ``start`` on with ``wanted[start:]``.

        ``up`` and ``old_rows`` replace the cursor arithmetic after a resize.

        Each row's line is erased before the row is written: erasing after it, from the
        row's end, leaves tmux counting the old, longer row's cells when it re-wraps the
        line at a resize. Rows left over below are erased one by one. Erase-below
        (``ESC[J``) is avoided: from the top-left corner, tmux and others treat it as
        clearing the screen and push the screen into scrollback.
        """
        if old_rows is None:
            old_rows = self._height(self._shown[start:])
        new_rows = self._height(wanted[start:])
        parts = [_BEGIN_SYNC] if self._synchronized else []
        if not self._is_active:
            parts.append(_HIDE_CURSOR)
            self._is_active = True
        if up is None:
            parts.append(self._move_to(start))
        else:
            parts.append("\r" + _up(up))
        parts.append("\r\n".join(_ERASE_LINE + row for row in wanted[start:]))
        leftover = old_rows - new_rows
        if leftover > 0:
            parts.append(_SAVE_CURSOR + ("\r\n" + _ERASE_LINE) * leftover + _RESTORE_CURSOR)
        if self._synchronized:
            parts.append(_END_SYNC)
        self._shown = live
        self._emit("".join(parts))

    def clear(self) -> None:
        """Erase the live region and leave the cursor at the start of its first row."""
        if self._is_active:
            rows = self._height(self._shown)
            erase = self._move_to(0) + _ERASE_LINE + ("\r\n" + _ERASE_LINE) * (rows - 1)
            erase += _up(rows - 1)
            self._emit(erase + _SHOW_CURSOR)
        self._shown = []
        self._is_active = False

    def rows_out_of_reach(self, width: int | None, report: ResizeReport | None) -> int:
        """How many top rows a resize to ``width`` pushed, at least in part, off the screen.

        A terminal that re-wraps makes the region taller; what no longer fits goes into
        scrollback, where it stays whatever is drawn next. The caller may then drop those
        rows from the region (``forget_top``) and not draw them again. The last row is
        never counted.
        """
        if report is None or width is None or self._width in (None, width) or not self._shown:
            return 0
        if not self._rewraps_after(width, report):
            return 0
        heights = [_screen_rows(row, width) for row in self._shown]
        pushed = sum(heights) - 1 - report.row
        rows = 0
        while pushed > 0 and rows < len(heights) - 1:
            pushed -= heights[rows]
            rows += 1
        return rows

    def forget_top(self, rows: int) -> None:
        """The top ``rows`` rows are scrollback now: the region starts below them."""
        self._shown = self._shown[rows:]

    def _rows_after_resize(self, width: int, report: ResizeReport | None) -> tuple[int, int]:
        """How far up the region's top is after a resize to ``width``, and its rows below.

        A terminal that re-wraps shows each old row on the rows it fills at ``width``; one
        that does not keeps the rows as drawn. The cursor, at the end of the last row,
        says which: see ``_terminal_rewrapped``.
        """
        as_drawn = self._height(self._shown)
        rewrapped = sum(_screen_rows(row, width) for row in self._shown)
        rewraps = self.rewraps = self._rewraps_after(width, report)
        # Not known: only as far up as both kinds of terminal agree on.
        heights = {True: rewrapped, False: as_drawn, None: min(as_drawn, rewrapped)}
        rows_up = heights[rewraps] - 1
        if report is not None:
            rows_up = min(rows_up, report.row)  # the rest went up into scrollback
        return rows_up, rows_up + 1

    def _rewraps_after(self, width: int, report: ResizeReport | None) -> bool | None:
        """Whether the terminal re-wraps: from the cursor, else from what is known of it."""
        rewraps = self._terminal_rewrapped(width, report)
        if rewraps is None and report is not None:
            rewraps = report.rewraps
        return rewraps

    def _terminal_rewrapped(self, width: int, report: ResizeReport | None) -> bool | None:
        """Whether the terminal re-wrapped the region's rows, from the cursor's column.

        The cursor sat just after the last row's cells. Re-wrapped, it moves on to that
        offset in the row's new wrapping; cut, it stays put or stops at the last column.
        ``None`` when the report is missing or both would put it in the same column.
        """
        if report is None or self._width is None or width >= self._width:
            return None
        offset = _cells(self._shown[-1])
        if offset == 0 or offset >= self._width:
            return None
        kept = min(offset, width - 1)
        # At an exact multiple of the width, terminals differ on where the cursor waits.
        wrapped = {offset % width} if offset % width else {0, width - 1}
        if kept in wrapped:
            return None
        if report.column == kept:
            return False
        return True if report.column in wrapped else None

    def _height(self, rows: Sequence[str]) -> int:
        """Screen rows that ``rows`` fill at the current width."""
        return sum(_screen_rows(row, self._width) for row in rows)

    def _move_to(self, row: int) -> str:
        """From the end of the last shown row to the start of row ``row`` of the region."""
        if self._shown and row >= len(self._shown):
            return "\r\n"  # the row just below the region
        return "\r" + _up(self._height(self._shown[row:]) - 1)

    def _emit(self, text: str) -> None:
        self.bytes_written += len(text.encode("utf-8", "replace"))
        self._write(text)
