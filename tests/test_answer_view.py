"""The live answer view around a resize, with the cursor probe on a real pty; its clock
is driven by hand, so no test waits on real time for a frame."""

from __future__ import annotations

import asyncio
import os
import pty
import re
import tty

import pytest
from rich.cells import cell_len
from rich.console import Console

from tests.helpers import ManualScheduler, until
from zorac_repl.render.answer_view import (
    FRAMES_PER_SECOND,
    RESIZE_SETTLE_SECONDS,
    TerminalAnswerView,
)
from zorac_repl.stats import StreamStats
from zorac_repl.terminal.keyboard import KeyReader
from zorac_repl.terminal.screen import CursorProbe

_ASK_CURSOR = "\x1b[6n"
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]")
PARAGRAPH = " ".join(f"word{n}" for n in range(120))  # many rows at either width


def _rows_written(frame: str) -> list[str]:
    return [_ESCAPES.sub("", row) for row in re.split(r"\r\n|\r", frame)]


class _Width:
    """The terminal's width as the view reads it; ``narrow_mid_frame`` drops it to 50 just
    after the next read, as a resize landing while a frame is made."""

    def __init__(self) -> None:
        self.now = 100
        self.narrow_mid_frame = False

    def __call__(self) -> int:
        now = self.now
        if self.narrow_mid_frame:
            self.now, self.narrow_mid_frame = 50, False
        return now


class _Screen:
    """A view writing to a list, on a hand-driven clock, with a cursor probe on a real pty
    when ``probe``."""

    def __init__(self, probe: bool) -> None:
        self.width = _Width()
        self.clock = ManualScheduler()
        self.written: list[str] = []
        self.written_at: list[float] = []  # the clock's time of each write
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)
        self.keys = KeyReader(self._slave, lambda _text: None)
        cursor_probe = CursorProbe(self._write, self.keys, rewraps=True) if probe else None
        console = Console(width=100, force_terminal=True, color_system=None)
        self.view = TerminalAnswerView(
            console,
            self._write,
            lambda: 30,
            columns=self.width,
            cursor_probe=cursor_probe,
            scheduler=self.clock,
        )

    def _write(self, text: str) -> None:
        self.written.append(text)
        self.written_at.append(self.clock.time)
        if text == _ASK_CURSOR:  # in the last column of a 30 x 50 screen
            os.write(self._master, b"\x1b[30;50R")

    def frames_since(self, mark: int) -> list[str]:
        """What was drawn since ``mark`` (a length of ``written``), the cursor asks left out."""
        return [text for text in self.written[mark:] if text != _ASK_CURSOR]

    def close(self) -> None:
        os.close(self._master)
        os.close(self._slave)


def _narrowed_mid_frame(probe: bool) -> list[str]:
    """What the view writes once a resize lands while it makes a frame."""
    screen = _Screen(probe)

    async def stream() -> list[str]:
        screen.keys.start(on_interrupt=lambda: None)
        screen.view.begin(StreamStats(clock=screen.clock.now))
        screen.view.text(PARAGRAPH[:300])
        screen.clock.advance(0.1)
        resized_at = len(screen.written)
        screen.width.narrow_mid_frame = True
        screen.view.text(PARAGRAPH[300:])
        screen.clock.advance(0.1)  # the frame is made as the width changes: not written
        await until(lambda: screen.clock.sleeping == 1)  # the redraw waits for the width
        assert screen.frames_since(resized_at) == []
        screen.clock.advance(RESIZE_SETTLE_SECONDS)
        await until(lambda: screen.frames_since(resized_at) != [])
        await screen.view.end()
        return screen.written[resized_at:]

    try:
        return asyncio.run(stream())
    finally:
        screen.close()


def test_a_frame_made_while_the_terminal_narrowed_is_redrawn_at_the_new_width():
    # A re-wrapping terminal (tmux) lays out what arrives after its resize at the new
    # width. A frame made for the old width would land under cursor moves counted for the
    # old width, and leave a stale copy of rows in scrollback.
    after_resize = _narrowed_mid_frame(probe=True)
    assert after_resize[0] == _ASK_CURSOR  # nothing drawn for the old width first
    redraw = after_resize[1]
    assert "word119" in redraw
    assert max(cell_len(row) for row in _rows_written(redraw)) <= 50


def test_without_a_cursor_probe_a_frame_made_while_the_terminal_narrowed_is_made_again():
    redraw = _narrowed_mid_frame(probe=False)[0]
    assert "word119" in redraw
    assert max(cell_len(row) for row in _rows_written(redraw)) <= 50


@pytest.mark.parametrize("probe", [True, False])
def test_nothing_is_drawn_while_the_width_keeps_changing(probe):
    # tmux passes on a resize that follows another within 250 ms only when that time is
    # up; until then it lays out what it receives at a width the client was not told.
    screen = _Screen(probe)

    async def drag() -> tuple[int, float, list[str]]:
        screen.keys.start(on_interrupt=lambda: None)
        screen.view.begin(StreamStats(clock=screen.clock.now))
        screen.view.text(PARAGRAPH[:300])
        screen.clock.advance(0.1)
        first_change = len(screen.written)
        for width in (95, 90, 85, 80, 75):
            screen.width.now = width
            last_change = screen.clock.time
            screen.view.text(" more words")
            screen.clock.advance(0.1)
            await until(lambda: screen.clock.sleeping == 1)
        during = screen.written[first_change:]
        # Time moves on in small steps until the view draws (it probes the terminal, on a
        # real pty, each time its wait is over).
        while not screen.frames_since(first_change):
            assert screen.clock.time < last_change + 5, "nothing was ever drawn"
            screen.clock.advance(0.05)
            await until(
                lambda: screen.clock.sleeping == 1 or bool(screen.frames_since(first_change))
            )
        await screen.view.end()
        return first_change, last_change, during

    try:
        first_change, last_change, during = asyncio.run(drag())
    finally:
        screen.close()
    assert [text for text in during if text != _ASK_CURSOR] == []  # no frame while dragged
    redraw = screen.frames_since(first_change)[0]
    drawn_at = screen.written_at[screen.written.index(redraw)]
    assert drawn_at >= last_change + RESIZE_SETTLE_SECONDS
    assert max(cell_len(row) for row in _rows_written(redraw)) <= 75
    if probe:
        assert screen.written[first_change] == _ASK_CURSOR


def test_the_first_word_is_drawn_at_once_then_frames_wait_for_the_clock():
    written: list[str] = []
    clock = ManualScheduler()
    console = Console(width=100, force_terminal=True, color_system=None)
    view = TerminalAnswerView(
        console, written.append, lambda: 30, columns=lambda: 100, scheduler=clock
    )

    async def stream() -> None:
        view.begin(StreamStats(clock=clock.now))
        view.text("#")
        view.text(" KV")  # the first word, split over two tokens: both drawn at once
        assert "KV" in "".join(written)
        view.text(" cache\n\nThe")  # the word has ended: drawn, and the cap starts
        assert "cache" in "".join(written)
        view.text(" zebra")
        clock.advance(1 / FRAMES_PER_SECOND / 2)
        assert "zebra" not in "".join(written)  # coalesced into the next frame
        clock.advance(1 / FRAMES_PER_SECOND / 2)
        assert "zebra" in "".join(written)
        await view.end()

    asyncio.run(stream())
