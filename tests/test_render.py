"""The streaming renderer: what it leaves in scrollback equals one Rich render of the whole text."""

from __future__ import annotations

import io

import pyte
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from zorac_repl.devserver.answers import answer_for
from zorac_repl.render import markdown_stream
from zorac_repl.render.live_region import LiveRegion, ResizeReport
from zorac_repl.render.markdown import render_lines
from zorac_repl.render.markdown_stream import MarkdownStream
from zorac_repl.render.safe_text import visible_controls

WIDTH = 80


def _console(width: int = WIDTH) -> Console:
    return Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor")


def _stream_rows(
    text: str, cuts: list[int], updates: list[bool], live_rows: int, width: int = WIDTH
) -> list[str]:
    stream = MarkdownStream(_console(width), max_live_rows=lambda: live_rows)
    rows: list[str] = []
    start = 0
    for index, cut in enumerate(sorted({*cuts, len(text)})):
        stream.feed(text[start:cut])
        start = cut
        if updates[index % len(updates)]:
            rows += stream.update()[0]
    return rows + stream.finish()


_BLOCKS = st.sampled_from(
    [
        "# Heading",
        "Setext heading\n==============",
        "Another one\n---",
        "A paragraph with **bold**, *em*, `code` and a [link](http://x.y/z).",
        "A **bold start that never closes",
        "- one\n- two\n  - nested\n    - deeper\n- three",
        "1. first\n2. second\n3. third",
        "7. seven\n8. eight\n9. nine\n10. ten\n11. eleven",
        "> quoted\n> text\nlazy continuation",
        "---",
        "***",
        "| a | b |\n|---|--:|\n| 1 | 22 |\n| 333 | 4 |",
        "| wide column header | x |\n|---|---|",
        "```python\ndef f(x):\n    return x * 2\n```",
        "```\nplain code\n```",
        "```js\nlet a = 1;",
        "    indented code",
        "<div>\nhtml block\n</div>",
        "日本語の文章と絵文字 🎉 mixed text",
        "Line one\nline two in the same paragraph",
        "text with trailing spaces   ",
        # Later lines that rewrite rows already drawn: an inline construct closing lines later,
        # a setext underline under a tall paragraph.
        "Hard **wrapped text\nwith bold that\nruns on for\nseveral lines** and words after it",
        "Stray **a* then more\nwords and more\nwords* to close it",
        "> quote with `code that\n> closes three\n> lines later` and\n> on",
        "- item with *em that\n  runs on\n  and on* here\n- next item\n- and another",
        "A paragraph of\nseveral short lines\nthat becomes\na heading\n---",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_BLOCKS, min_size=1, max_size=8),
    st.sampled_from(["\n\n", "\n", "\n\n\n"]),
    st.lists(st.integers(min_value=0, max_value=5000), max_size=30),
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.sampled_from([1, 3, 4, 10, 1000]),
    st.sampled_from([24, WIDTH]),
)
def test_any_document_in_any_chunks_ends_as_the_one_shot_render(
    blocks, joiner, cuts, updates, live_rows, width
):
    text = joiner.join(blocks)
    cuts = [cut % (len(text) + 1) for cut in cuts]
    assert _stream_rows(text, cuts, updates, live_rows, width) == render_lines(
        _console(width), text
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_BLOCKS, min_size=1, max_size=8),
    st.sampled_from(["\n\n", "\n"]),
    st.lists(st.integers(min_value=0, max_value=5000), max_size=30),
    st.lists(st.booleans(), min_size=1, max_size=5),
    st.sampled_from([1, 4, 1000]),
    st.sampled_from([10, 40, 200]),
)
def test_a_big_open_block_previewed_still_ends_as_the_one_shot_render(
    blocks, joiner, cuts, updates, live_rows, big
):
    """The same rule with the preview path taken for any open block past ``big``."""
    text = joiner.join(blocks)
    cuts = [cut % (len(text) + 1) for cut in cuts]
    original = markdown_stream.BIG_OPEN
    markdown_stream.BIG_OPEN = big
    try:
        rows = _stream_rows(text, cuts, updates, live_rows)
    finally:
        markdown_stream.BIG_OPEN = original
    assert rows == render_lines(_console(), text)


class _CountingStream(MarkdownStream):
    """Counts the characters each frame renders, and all it parses."""

    rendered = 0
    parsed = 0

    def _render(self, text: str, numbered: bool = True) -> list[str]:
        self.rendered += len(text)
        return super()._render(text, numbered)

    def _take_finished_blocks(self, final: bool) -> list[str]:
        self.parsed += len(self._tail)
        return super()._take_finished_blocks(final)


@pytest.mark.parametrize("line_every", [None, 70])
def test_a_megabyte_line_costs_linear_work_not_quadratic(line_every):
    """A 1 MB paragraph streamed in 4-character tokens, a frame every 64 tokens: no
    frame renders more than a screenful's worth of its text, and all the parsing adds
    up to a few times its length (every frame parsed and rendered all of it before)."""
    word = "abc "
    size, frame = 1_000_000, 64
    stream = _CountingStream(_console(), max_live_rows=lambda: 30)
    sent, largest_frame = 0, 0
    for token in range(size // len(word)):
        piece = word
        if line_every and token % line_every == line_every - 1:
            piece = "abc\n"
        stream.feed(piece)
        sent += len(piece)
        if token % frame == 0:
            before = stream.rendered
            stream.update()
            largest_frame = max(largest_frame, stream.rendered - before)
    rows = stream.finish()
    assert largest_frame <= markdown_stream.BIG_OPEN
    assert stream.parsed < 8 * sent
    assert len(rows) >= size // WIDTH  # the whole paragraph, once, at the end


@pytest.mark.parametrize("block", _BLOCKS.elements)
@pytest.mark.parametrize("live_rows", [1, 2])
def test_each_block_taller_than_the_live_region_commits_only_rows_that_cannot_change(
    block, live_rows
):
    # Two characters at a time in a narrow terminal: every block outgrows the live region,
    # and every row it commits early is drawn before the rest of its text arrives.
    text = f"{block}\n\nafter"
    cuts = list(range(0, len(text), 2))
    assert _stream_rows(text, cuts, [True], live_rows, 24) == render_lines(_console(24), text)


@pytest.mark.parametrize("step", [5, 300, 2000])
@pytest.mark.parametrize("live_rows", [1, 4, 30])
def test_large_chunks_with_small_live_regions_neither_duplicate_nor_lose_rows(step, live_rows):
    text = answer_for("chunks", 900)
    cuts = list(range(0, len(text), step))
    assert _stream_rows(text, cuts, [True], live_rows) == render_lines(_console(), text)


@pytest.mark.parametrize("tokens", [700, 4000])
def test_dev_server_answers_token_by_token_match_the_one_shot_render(tokens):
    text = answer_for("golden", tokens)
    cuts = list(range(0, len(text), 9))
    assert _stream_rows(text, cuts, [True], 20) == render_lines(_console(), text)


def test_open_block_is_bounded_and_its_early_rows_are_committed():
    code = "```python\n" + "\n".join(f"value_{i} = {i}" for i in range(400)) + "\n"
    stream = MarkdownStream(_console(), max_live_rows=lambda: 10)
    committed: list[str] = []
    for start in range(0, len(code), 200):
        stream.feed(code[start : start + 200])
        rows, live = stream.update()
        committed += rows
        assert len(live) <= 10
    assert len(committed) > 380
    assert committed + stream.finish() == render_lines(_console(), code)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "\n".join(f"{n}. item number {n}" for n in range(1, 31)) + "\n\nafter",
            id="numbered-list-past-9",
        ),
        pytest.param(
            "| a | b |\n|---|---|\n"
            + "\n".join(f"| {'x' * n} | {n} |" for n in range(1, 40))
            + "\n\nafter",
            id="widening-table",
        ),
    ],
)
def test_reflowing_blocks_taller_than_the_screen_stay_live_then_commit_exactly(text):
    stream = MarkdownStream(_console(), max_live_rows=lambda: 5)
    committed: list[str] = []
    for start in range(0, len(text), 4):
        stream.feed(text[start : start + 4])
        rows, live = stream.update()
        committed += rows
        assert len(live) <= 5
    assert committed + stream.finish() == render_lines(_console(), text)


def test_escape_sequences_in_model_text_become_visible():
    hostile = "clear\x1b[2J clip\x1b]52;c;aGk=\x07 link\x1b]8;;http://e\x1b\\x\rback\x08\x9b"
    shown = visible_controls(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\x08" not in shown and "\x9b" not in shown
    assert "␛[2J" in shown and "␍" in shown and "\\x9b" in shown
    rows = _stream_rows(hostile, [5, 17], [True], 10)
    assert not any("\x1b]" in row or "\x1b[2J" in row for row in rows)


@pytest.mark.parametrize("step, live_rows", [(40, 10), (7, 10), (300, 4), (9, 30)])
def test_live_region_leaves_exactly_the_committed_rows_in_scrollback(step, live_rows):
    screen = pyte.HistoryScreen(WIDTH, live_rows + 2, history=5000)
    screen.set_mode(pyte.modes.LNM)
    stream = pyte.Stream(screen)
    region = LiveRegion(stream.feed)
    text = answer_for("scrollback", 1500)
    markdown = MarkdownStream(
        Console(file=io.StringIO(), width=WIDTH, color_system=None), max_live_rows=lambda: live_rows
    )
    for frame, start in enumerate(range(0, len(text), step)):
        markdown.feed(text[start : start + step])
        rows, live = markdown.update()
        region.draw(rows, [*live, f"toolbar {frame}"])
        assert screen.display[screen.cursor.y].rstrip() == f"toolbar {frame}"
    region.draw(markdown.finish(), [])
    region.clear()
    history = ["".join(line[c].data for c in range(WIDTH)).rstrip() for line in screen.history.top]
    shown = history + [line.rstrip() for line in screen.display]
    while shown and not shown[-1]:
        shown.pop()
    expected = render_lines(Console(file=io.StringIO(), width=WIDTH, color_system=None), text)
    assert shown == expected


def _region_on_pyte(width: int, height: int) -> tuple[pyte.HistoryScreen, LiveRegion]:
    screen = pyte.HistoryScreen(width, height, history=1000)
    screen.set_mode(pyte.modes.LNM)
    return screen, LiveRegion(pyte.Stream(screen).feed)


def _rows_shown(screen: pyte.HistoryScreen) -> list[str]:
    history = [
        "".join(line[c].data for c in range(screen.columns)).rstrip() for line in screen.history.top
    ]
    return history + [line.rstrip() for line in screen.display]


@pytest.mark.parametrize("reported", [True, False])
def test_narrowing_a_terminal_that_cuts_rows_erases_nothing_above_the_region(reported):
    # pyte, like xterm, cuts rows at a resize instead of re-wrapping them, and the cursor
    # stops at the last column.
    screen, region = _region_on_pyte(80, 20)
    region.draw(
        [f"final {n}" for n in range(8)],
        [f"live {n} " + "x" * 60 for n in range(6)] + ["t" * 79],
        80,
    )
    screen.resize(20, 50)
    report = ResizeReport(screen.cursor.y, min(screen.cursor.x, 49)) if reported else None
    region.draw(["final 8"], ["new live", "t" * 49], 50, report)
    assert region.rewraps is (False if reported else None)
    rows = [row for row in _rows_shown(screen) if row]
    assert rows == [*(f"final {n}" for n in range(9)), "new live", "t" * 49]


def test_a_terminal_that_rewrapped_is_told_by_where_the_cursor_went():
    _, region = _region_on_pyte(80, 20)
    region.draw([], ["live", "t" * 79], 80)
    # Re-wrapped at 50, the cursor after 79 cells is in column 29 of the row below.
    region.draw([], ["live", "t" * 49], 50, ResizeReport(19, 29))
    assert region.rewraps is True
    # At 40 a cut row also ends in the last column: the cursor cannot tell, what earlier
    # resizes showed decides.
    _, region = _region_on_pyte(80, 20)
    region.draw([], ["live", "t" * 79], 80)
    region.draw([], ["live", "t" * 39], 40, ResizeReport(19, 39, rewraps=True))
    assert region.rewraps is True


@pytest.mark.parametrize(
    "cursor_row, out_of_reach, rows_up",
    [
        (5, 1, 5),  # the a's went to scrollback whole
        (4, 2, 3),  # so did the top half of the b's: what is left of them stays on screen
    ],
)
def test_rows_a_rewrapping_terminal_pushed_off_the_screen_are_left_out_of_the_redraw(
    cursor_row, out_of_reach, rows_up
):
    written: list[str] = []
    region = LiveRegion(written.append, synchronized=False)
    region.draw([], ["a" * 80, "b" * 80, "c" * 80, "t" * 79], 80)
    # At 40 columns every row fills two: eight rows, on a screen of cursor_row + 1.
    report = ResizeReport(cursor_row, 39, rewraps=True)
    assert region.rows_out_of_reach(40, report) == out_of_reach
    region.forget_top(out_of_reach)
    written.clear()
    region.draw([], ["c" * 40, "c" * 40, "t" * 39], 40, report)
    assert written[0].startswith(f"\r\x1b[{rows_up}A")


def test_a_region_that_fits_or_a_terminal_that_cuts_rows_has_nothing_out_of_reach():
    region = LiveRegion(lambda text: None, synchronized=False)
    region.draw([], ["a" * 80, "t" * 79], 80)
    assert region.rows_out_of_reach(40, ResizeReport(19, 39, rewraps=True)) == 0
    assert region.rows_out_of_reach(40, ResizeReport(1, 39, rewraps=False)) == 0
    assert region.rows_out_of_reach(40, None) == 0


def test_live_rows_handed_out_at_a_resize_are_not_given_again():
    def paragraph(number: int) -> str:
        return f"Paragraph {number} " + " ".join(["word"] * 50)

    stream = MarkdownStream(_console(), max_live_rows=lambda: 20)
    # The second paragraph's line is not complete yet: both paragraphs are live.
    stream.feed(f"{paragraph(1)}\n\n{paragraph(2)}")
    final, live = stream.update(80)
    assert not final and len(live) > 3
    assert stream.hand_out(2)
    stream.feed(f" end\n\n{paragraph(3)}")
    rows = stream.update(40)[0] + stream.finish(40)
    # The first paragraph keeps the width its rows in scrollback have; the rest was live,
    # and takes the new width.
    assert live[:2] + rows == [
        *render_lines(_console(), paragraph(1), width=80),
        "",
        *render_lines(_console(), f"{paragraph(2)} end", width=40),
        "",
        *render_lines(_console(), paragraph(3), width=40),
    ]


def test_live_rows_that_are_a_tall_blocks_bottom_are_not_handed_out():
    stream = MarkdownStream(_console(), max_live_rows=lambda: 3)
    stream.feed(" ".join(["word"] * 200))  # a paragraph of 13 rows shows its bottom 3
    stream.update(80)
    assert not stream.hand_out(1)
    assert stream.finish(80) == render_lines(_console(), " ".join(["word"] * 200), width=80)
