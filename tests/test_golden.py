"""Golden renders of tricky Markdown: the one-shot render and any streaming of it match them.

The ``.ansi`` files are written by ``tests/golden/make_golden.py``; regenerate them only
for an intended change of look, and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.make_golden import golden_console
from zorac_repl.render.markdown import render_lines
from zorac_repl.render.markdown_stream import MarkdownStream

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(path.stem for path in GOLDEN.glob("*.md"))


def _expected(name: str) -> list[str]:
    return (GOLDEN / f"{name}.ansi").read_text().removesuffix("\n").split("\n")


@pytest.mark.parametrize("name", CASES)
def test_one_shot_render_matches_the_golden(name):
    assert render_lines(golden_console(), (GOLDEN / f"{name}.md").read_text()) == _expected(name)


def _streamings() -> list[object]:
    """Each case in chunks of 1, 4 and 37 characters, with 6 and 38 live rows.

    The 400-line block only in 37-character steps with 6 rows: each step re-highlights
    the open fence's uncommitted lines, up to twice the live region, so small steps would
    take long to say nothing more than its early commits at the small region say.
    """
    return [
        pytest.param(name, step, rows, id=f"{name}-{step}-{rows}")
        for name in CASES
        for step in (1, 4, 37)
        for rows in (6, 38)
        if name != "code_400_lines" or (step, rows) == (37, 6)
    ]


@pytest.mark.parametrize("name, step, live_rows", _streamings())
def test_streamed_render_matches_the_golden(name, step, live_rows):
    text = (GOLDEN / f"{name}.md").read_text()
    stream = MarkdownStream(golden_console(), max_live_rows=lambda: live_rows)
    rows: list[str] = []
    for start in range(0, len(text), step):
        stream.feed(text[start : start + step])
        committed, live = stream.update()
        rows += committed
        assert len(live) <= live_rows
    assert rows + stream.finish() == _expected(name)


def test_bold_is_plain_until_its_closing_stars_arrive():
    stream = MarkdownStream(golden_console())
    stream.feed("This is **bold")
    _, live = stream.update()
    assert live == ["This is **bold"]
    stream.feed(" text** here")
    _, live = stream.update()
    assert live == ["This is \x1b[1mbold text\x1b[0m here"]


def test_an_opening_fence_shows_highlighted_code_at_once():
    stream = MarkdownStream(golden_console())
    stream.feed("```python\ndef f")
    _, live = stream.update()
    assert live == [
        "\x1b[2m[1] python\x1b[0m",
        "\x1b[38;2;102;217;239mdef\x1b[0m \x1b[38;2;166;226;46mf\x1b[0m",
    ]


def test_a_table_appears_once_its_delimiter_row_arrives():
    stream = MarkdownStream(golden_console())
    stream.feed("| a | b |\n")
    _, live = stream.update()
    assert live == ["| a | b |"]
    stream.feed("|---|---|\n")
    _, live = stream.update()
    assert any("─" in row for row in live)


def test_plain_code_uses_the_terminals_own_colour_and_no_background():
    rows = render_lines(golden_console(), "```python\nname = other\n```")
    assert rows == ["\x1b[2m[1] python\x1b[0m", "name \x1b[38;2;255;70;137m=\x1b[0m other"]
    assert not any("48;" in row or "\x1b[49m" in row for row in rows)
