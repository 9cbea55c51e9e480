"""How an answer appears while it arrives: the one small interface a turn draws through.

``TerminalAnswerView`` shows a spinner until the first token, then live Markdown with a
toolbar row of live figures, repainted at most ``FRAMES_PER_SECOND`` times a second and
only when something changed. A reasoning model's thinking comes first, in a
``ThoughtArea`` that folds to one line when the answer begins. Answer text that may still
turn out to be thinking (``reasoning``) is shown at once but kept out of scrollback until
that is decided. After a resize it draws nothing until the width has held still, then
redraws the live region where the terminal put it. ``plain_view.PlainAnswerView`` writes
the raw text for pipes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Protocol

from rich.console import Console

from zorac_repl.render.live_region import LiveRegion, ResizeReport
from zorac_repl.render.markdown_stream import MarkdownStream
from zorac_repl.render.scheduler import LoopScheduler, Scheduled, Scheduler
from zorac_repl.render.thought_area import ThoughtArea
from zorac_repl.settings.values import ReasoningMode
from zorac_repl.stats import StreamStats, format_live
from zorac_repl.terminal.screen import CursorProbe, wrap_words

__all__ = ["FRAMES_PER_SECOND", "RESIZE_SETTLE_SECONDS", "AnswerView", "TerminalAnswerView"]

FRAMES_PER_SECOND = 30
_FRAME = 1.0 / FRAMES_PER_SECOND
# The spinner and the toolbar's clock move even when no token arrives.
_TICK = 0.1
_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
# How long the width must hold still after a resize before the region is redrawn: longer
# than the 250 ms for which tmux holds back a resize that follows another.
RESIZE_SETTLE_SECONDS = 0.35
# A word followed by what ends it; and how much text may come before one, drawn at once.
_FIRST_WORD_ENDED = re.compile(r"\w\W")
_OPENING_MAX = 80


class AnswerView(Protocol):
    """What a turn needs from a display."""

    def begin(self, stats: StreamStats) -> None:
        """The request was sent: show that we are waiting."""

    def text(self, delta: str, provisional: bool = False) -> None:
        """Show more of the answer; ``provisional`` text may still turn out to be thinking."""

    def settle(self, is_answer: bool) -> None:
        """The provisional text so far was answer, or thinking (which follows as such)."""

    def reasoning(self, delta: str) -> None:
        """Show more of the model's thinking."""

    async def end(self, status: str = "complete") -> None:
        """The answer ended: leave what was shown in scrollback.

        ``status`` is the turn's: ``complete`` (kept in the history), ``unanswered`` (only
        thought), ``interrupted`` or ``failed``.
        """


class TerminalAnswerView:
    """Live Markdown with a spinner and a toolbar, for a terminal.

    Args:
        console: renders Markdown at its width and colour system.
        write: writes to the terminal and flushes.
        rows: the terminal's height now.
        code_theme: the Pygments style for code blocks.
        waiting_label: what the spinner says before the first token.
        columns: the terminal's real width now (default: the console's width).
        cursor_probe: asks the terminal where the cursor went after a resize, so the
            region finds its top again (without it, a re-wrapping terminal may keep a
            copy of the region's top rows in scrollback after narrowing).
        reasoning: how a reasoning model's thinking is shown (``thought_area``).
        thought_hint: what the folded thought's line adds (`` · /think shows it``).
        scheduler: the time now, and frames later; the event loop's by default.
    """

    def __init__(
        self,
        console: Console,
        write: Callable[[str], None],
        rows: Callable[[], int],
        code_theme: str = "monokai",
        waiting_label: str = "Waiting for the model",
        columns: Callable[[], int | None] | None = None,
        cursor_probe: CursorProbe | None = None,
        reasoning: ReasoningMode = "fold",
        thought_hint: str = "",
        scheduler: Scheduler | None = None,
    ) -> None:
        self._console = console
        self._scheduler = scheduler or LoopScheduler()
        self._rows = rows
        self._code_theme = code_theme
        # The terminal's real width, for counting screen rows: $COLUMNS may fix Rich's.
        self._columns = columns or (lambda: console.width)
        # The live region keeps one row for the toolbar and one spare, so it never scrolls.
        self._stream = MarkdownStream(console, code_theme, self._live_limit)
        self._region = LiveRegion(write, synchronized=console.is_terminal)
        self._reasoning = reasoning
        self._thought_hint = thought_hint
        self._thought: ThoughtArea | None = None
        self._is_thinking = False  # the thought area is on screen
        self._label = waiting_label
        self._stats: StreamStats | None = None
        self._live: list[str] = []
        self._has_text = False
        self._opening: str | None = ""  # the answer's text until its first word has ended
        self._is_dirty = False
        self._drawn_columns: int | None = None
        self._last_frame = 0.0
        self._frame_handle: Scheduled | None = None
        self._tick_handle: Scheduled | None = None
        self._probe = cursor_probe
        self._resizing: asyncio.Future[None] | None = None  # a redraw waits for the width
        self._unwritten: list[str] = []  # final rows of a frame a resize kept from the screen
        self._screen_shows_stream = False  # the live rows on screen are the stream's last

    @property
    def bytes_written(self) -> int:
        return self._region.bytes_written

    def begin(self, stats: StreamStats) -> None:
        self._stats = stats
        self._draw()
        self._schedule_tick()

    def text(self, delta: str, provisional: bool = False) -> None:
        if self._is_thinking:
            self._fold_thought("complete")
        if provisional and not self._has_text:
            # It may still turn out to be thinking: nothing of it goes to scrollback yet.
            self._stream.hold()
        self._stream.feed(delta)
        self._has_text = True
        self._is_dirty = True
        if self._opening is not None and self._resizing is None:
            # Until the first word is whole, each token is drawn at once: waiting for the
            # frame clock would add up to a frame (33 ms) to the first word ("#", then
            # " KV" of "# KV cache"). The cap applies from then on.
            self._opening += delta
            if _FIRST_WORD_ENDED.search(self._opening) or len(self._opening) > _OPENING_MAX:
                self._opening = None
            if self._frame_handle is not None:
                self._frame_handle.cancel()
                self._frame_handle = None
            self._draw()
            return
        self._request_frame()

    def settle(self, is_answer: bool) -> None:
        if is_answer:
            if self._stream.holding:
                self._unwritten += self._stream.release(self._columns())
        else:
            # It was thinking: the thought area takes its place.
            if self._has_text and not self._stream.holding:
                # Too tall to hold, it went to scrollback as answer text: say what it was.
                self._unwritten += [
                    *self._stream.finish(self._columns()),
                    self._style("(the text above was the model's thinking)", "dim"),
                ]
            self._stream = MarkdownStream(self._console, self._code_theme, self._live_limit)
            self._live, self._has_text, self._opening, self._is_dirty = [], False, "", False
        self._request_frame()

    def reasoning(self, delta: str) -> None:
        if self._has_text:
            return  # thinking after the answer began: kept for /think, not drawn
        if self._thought is None:
            self._thought = ThoughtArea(
                self._console, self._code_theme, self._reasoning, lambda: self._live_limit() - 1
            )
        self._thought.feed(delta)
        self._is_thinking = True
        self._request_frame()

    def _fold_thought(self, status: str) -> None:
        """The thinking is over: leave its rows (``show``) and its line.

        No line after Ctrl+C or a failure (the turn says what happened), and no hint at
        ``/think`` for a thought that is not kept.
        """
        thought, self._is_thinking = self._thought, False
        if thought is None or self._stats is None:
            return
        rows = thought.finish(self._columns())
        if status in ("complete", "unanswered"):
            hint = self._thought_hint if status == "complete" else ""
            # Rows of at most the width: a row the terminal wraps itself is one the live
            # region does not count, and the rows below it keep old thinking text.
            line = thought.folded_line(self._stats, hint)
            for row in wrap_words(line, max(10, self._columns() or 80)):
                rows.append(self._style(row, "dim"))
        self._unwritten += rows

    def _live_limit(self) -> int:
        return self._rows() - 2

    async def end(self, status: str = "complete") -> None:
        for handle in (self._frame_handle, self._tick_handle):
            if handle is not None:
                handle.cancel()
        self._frame_handle = self._tick_handle = None
        try:
            # The last rows, too, must be drawn where the terminal put the region.
            while self._resizing is not None:
                await self._resizing
        finally:
            if self._resizing is not None:
                self._resizing.cancel()
            if self._is_thinking:
                self._fold_thought(status)
            columns = self._columns()
            cancelled = False
            if self._stream.is_big:
                # Rendering a megabyte takes a second or more: not on the event loop,
                # which must keep answering Ctrl+C and the server meanwhile.
                rest, cancelled = await _finished_off_loop(self._stream, columns)
            else:
                rest = self._stream.finish(columns)
            final = [*self._unwritten, *rest]
            self._unwritten = []
            self._region.draw(final, [], columns)
            self._region.clear()
            if cancelled:
                raise asyncio.CancelledError

    def _request_frame(self) -> None:
        if self._frame_handle is not None or self._resizing is not None:
            return
        delay = max(0.0, self._last_frame + _FRAME - self._scheduler.now())
        self._frame_handle = self._scheduler.call_later(delay, self._on_frame)

    def _on_frame(self) -> None:
        self._frame_handle = None
        self._draw()

    def _schedule_tick(self) -> None:
        self._tick_handle = self._scheduler.call_later(_TICK, self._on_tick)

    def _on_tick(self) -> None:
        self._request_frame()
        self._schedule_tick()

    def _draw(self, report: ResizeReport | None = None, settled: bool = False) -> None:
        if self._resizing is not None:
            return  # the redraw after the resize is the next frame
        self._last_frame = self._scheduler.now()
        columns = self._columns()
        if not settled and self._drawn_columns is not None and columns != self._drawn_columns:
            self._resizing = asyncio.ensure_future(self._draw_after_resize())
            return
        if settled and self._screen_shows_stream:
            # Rows the terminal pushed off the screen while re-wrapping stay in scrollback.
            pushed = self._region.rows_out_of_reach(columns, report)
            if pushed and self._stream.hand_out(pushed):
                self._region.forget_top(pushed)
        final, self._unwritten = self._unwritten, []
        thought_rows: list[str] = []
        if self._is_thinking and self._thought is not None:
            committed, thought_rows = self._thought.update(columns)
            final += committed
        elif self._is_dirty or (columns != self._drawn_columns and self._has_text):
            # After a resize, re-render: rows made for the old width must not be drawn.
            # The same width for rendering and for counting rows.
            committed, self._live = self._stream.update(columns)
            final += committed
            self._is_dirty = False
        if self._columns() != columns:
            # Resized while the frame was made: a re-wrapping terminal would lay its rows
            # out at the new width, under cursor moves counted for the old one.
            self._unwritten = final  # committed already: they go out with the next frame
            self._is_dirty = self._has_text
            self._screen_shows_stream = False
            self._resizing = asyncio.ensure_future(self._draw_after_resize())
            return
        self._drawn_columns = columns
        if self._is_thinking:
            rows = (
                thought_rows if self._reasoning == "show" else [self._spinner_row(), *thought_rows]
            )
        else:
            rows = list(self._live) if self._has_text else [self._spinner_row()]
        rows.append(self._toolbar_row(columns))
        self._region.draw(final, rows, columns, report)
        self._screen_shows_stream = self._has_text and not self._is_thinking

    async def _draw_after_resize(self) -> None:
        """Wait until the width holds still, ask where the cursor went, then redraw.

        Nothing is drawn meanwhile. A terminal may lay out what it receives at a width it
        has not told us yet: tmux passes on a resize that follows another within 250 ms
        only when that time is up, so while a window is dragged every frame would land
        under cursor moves counted for a stale width.
        """
        try:
            columns = self._columns()
            while True:
                await self._scheduler.sleep(RESIZE_SETTLE_SECONDS)
                position = await self._probe.position() if self._probe else None
                if self._columns() == columns:
                    break
                columns = self._columns()  # resized again meanwhile
        finally:
            self._resizing = None
        # Without an answer the region goes up only as far as any terminal would need.
        report = None
        if position is not None and self._probe is not None:
            report = ResizeReport(*position, self._probe.rewraps)
        self._draw(report, settled=True)
        if self._probe is not None and self._region.rewraps is not None:
            self._probe.rewraps = self._region.rewraps

    def _spinner_row(self) -> str:
        elapsed = self._stats.elapsed() if self._stats else 0.0
        frame = _SPINNER[int(elapsed / _TICK) % len(_SPINNER)]
        label = self._label
        if self._is_thinking and self._stats is not None:
            label, elapsed = "Thinking", self._stats.thinking_seconds()
        return self._style(f"{frame} {label}… {elapsed:.1f}s", "cyan")

    def _toolbar_row(self, columns: int | None = None) -> str:
        text = format_live(self._stats) if self._stats else ""
        width = max(1, (columns or self._console.width) - 1)
        return self._style(f" {text} ".ljust(width)[:width], "reverse")

    def _style(self, text: str, style: str) -> str:
        if self._console.no_color or self._console.color_system is None:
            return text
        return self._console.get_style(style).render(text)


async def _finished_off_loop(stream: MarkdownStream, columns: int | None) -> tuple[list[str], bool]:
    """``stream.finish(columns)`` on a thread, and whether the wait was cancelled (a second
    Ctrl+C): the rows are drawn once either way, so it waits for them regardless."""
    work = asyncio.ensure_future(asyncio.to_thread(stream.finish, columns))
    cancelled = False
    while True:
        try:
            return await asyncio.shield(work), cancelled
        except asyncio.CancelledError:
            cancelled = True
