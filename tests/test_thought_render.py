"""The thought area and held text: the renderer's equivalence and bounds hold for them too."""

from __future__ import annotations

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from tests.test_render import _BLOCKS
from zorac_repl.devserver.answers import thinking_for
from zorac_repl.render.markdown import render_lines
from zorac_repl.render.markdown_stream import MarkdownStream
from zorac_repl.render.thought_area import FOLD_ROWS, ThoughtArea

WIDTH = 80


def _console() -> Console:
    return Console(file=io.StringIO(), width=WIDTH, force_terminal=True, color_system="truecolor")


def _feed(area: ThoughtArea, text: str, step: int) -> tuple[list[str], list[list[str]]]:
    committed: list[str] = []
    frames = []
    for start in range(0, len(text), step):
        area.feed(text[start : start + step])
        rows, live = area.update(WIDTH)
        committed += rows
        frames.append(live)
    return committed + area.finish(WIDTH), frames


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=40, max_value=1500), st.integers(min_value=3, max_value=97))
def test_show_leaves_exactly_the_dimmed_one_shot_render(tokens, step):
    text = thinking_for("q", tokens)
    committed, frames = _feed(ThoughtArea(_console(), "monokai", "show", lambda: 20), text, step)
    assert committed == render_lines(_console(), text, dim=True)
    assert all(len(frame) <= 20 for frame in frames)


def test_every_row_of_the_thinking_is_dimmed():
    rows = render_lines(
        _console(), "Plain, **bold** and `code`.\n\n```python\nx = 1\n```", dim=True
    )
    pieces = [piece for row in rows for piece in re.findall(r"\x1b\[([\d;]*)m([^\x1b]*)", row)]
    assert pieces
    for params, text in pieces:
        if text.strip():
            assert "2" in params.split(";"), (params, text)
    # Every character is inside a styled piece: none is drawn at full brightness.
    assert all(not re.sub(r"\x1b\[[\d;]*m[^\x1b]*", "", row).strip() for row in rows)


def test_fold_shows_at_most_six_rows_and_leaves_nothing_in_scrollback():
    area = ThoughtArea(_console(), "monokai", "fold", lambda: 30)
    committed, frames = _feed(area, thinking_for("q", 2000), 7)
    assert committed == []
    assert max(len(frame) for frame in frames) == FOLD_ROWS
    # The area shows the latest rows: the last frame ends where the thinking ends.
    last = render_lines(_console(), thinking_for("q", 2000), dim=True)
    assert frames[-1][-1] == last[-1]


def test_hide_draws_nothing():
    area = ThoughtArea(_console(), "monokai", "hide", lambda: 30)
    committed, frames = _feed(area, thinking_for("q", 500), 11)
    assert committed == [] and all(frame == [] for frame in frames)
    assert area.characters == len(thinking_for("q", 500))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_BLOCKS, min_size=1, max_size=8),
    st.integers(min_value=1, max_value=60),
    st.integers(min_value=5, max_value=40),
    st.booleans(),
)
def test_held_text_released_or_outgrown_ends_as_the_one_shot_render(
    blocks, step, live_rows, release_midway
):
    text = "\n\n".join(blocks) + "\n"
    stream = MarkdownStream(_console(), max_live_rows=lambda: live_rows)
    stream.hold()
    rows: list[str] = []
    for start in range(0, len(text), step):
        stream.feed(text[start : start + step])
        committed, live = stream.update(WIDTH)
        assert len(live) <= live_rows
        if stream.holding:
            assert committed == []  # nothing reaches scrollback while held
        rows += committed
        if release_midway and start > len(text) // 2 and stream.holding:
            rows += stream.release(WIDTH)
    rows += stream.finish(WIDTH)
    assert rows == render_lines(_console(), text)


def test_held_rows_are_drawn_again_at_a_new_width():
    text = "word " * 60 + "\n\nSecond paragraph.\n\nThird"
    stream = MarkdownStream(_console(), max_live_rows=lambda: 30)
    stream.hold()
    stream.feed(text)
    _, live = stream.update(80)
    _, narrow = stream.update(40)
    assert len(narrow) > len(live)
    # Only the first paragraph is finished (the second is open until "Third"'s line ends).
    assert stream.release(40) == render_lines(_console(), "word " * 60, width=40)
