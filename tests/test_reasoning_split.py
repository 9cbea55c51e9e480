"""The rule that tells thinking from answer in content (``reasoning.ThinkSplitter``)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from zorac_repl.conversation.reasoning import (
    WINDOW,
    AnswerText,
    Confirmed,
    Piece,
    SortedText,
    ThinkSplitter,
    split_saved,
)


def _outcome(pieces: list[Piece]) -> tuple[str, str]:
    """(thinking, answer) as a consumer that follows the pieces ends up with."""
    sorted_text = SortedText()
    for piece in pieces:
        if isinstance(piece, AnswerText) and not piece.provisional:
            assert not sorted_text.provisional, "answer text while provisional text is undecided"
        sorted_text.add(piece)
    assert not sorted_text.provisional, "the answer ended with provisional text undecided"
    return "".join(sorted_text.thinking), "".join(sorted_text.answer)


def _split(chunks: list[str], window: int = WINDOW) -> tuple[str, str]:
    splitter = ThinkSplitter(window)
    pieces: list[Piece] = []
    for chunk in chunks:
        pieces += splitter.feed(chunk)
    pieces += splitter.finish()
    return _outcome(pieces)


def test_tags_at_the_start_hold_thinking() -> None:
    assert _split(["<think>\nOkay, hi.\n</think>\n\nHello!"]) == ("\nOkay, hi.\n", "Hello!")


def test_leading_whitespace_before_the_tag_is_allowed() -> None:
    assert _split(["\n ", "<think>a</think>b"]) == ("a", "b")


def test_a_tag_after_the_start_is_answer_text() -> None:
    assert _split(["Use <think> to open a block."]) == ("", "Use <think> to open a block.")


def test_a_closing_tag_alone_makes_what_came_before_thinking() -> None:
    assert _split(["Okay, the user", " says hi.\n</think>\n\nHello!"]) == (
        "Okay, the user says hi.\n",
        "Hello!",
    )


def test_provisional_text_is_answer_when_no_closing_tag_comes() -> None:
    assert _split(["Hello", " there!"]) == ("", "Hello there!")


def test_provisional_text_is_answer_for_good_past_the_window() -> None:
    text = "word " * 30
    assert _split([text, "</think>", " more"], window=64) == ("", text + "</think> more")


def test_a_closing_tag_inside_the_window_retracts() -> None:
    text = "word " * 10
    assert _split([text, "</think>", " more"], window=64) == (text, "more")


def test_a_quoted_closing_tag_is_answer_text() -> None:
    assert _split(["Close it with `", "</think>` then answer."]) == (
        "",
        "Close it with `</think>` then answer.",
    )
    fenced = "```html\n<think>x\n</think>\n```\n"
    assert _split([fenced]) == ("", fenced)


def test_the_provisional_text_is_shown_at_once() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hello") == [AnswerText("Hello", provisional=True)]
    assert splitter.feed(" world") == [AnswerText(" world", provisional=True)]


def test_a_partial_tag_is_held_only_until_the_next_chunk() -> None:
    splitter = ThinkSplitter()
    assert splitter.feed("Hi </th") == [AnswerText("Hi ", provisional=True)]
    assert splitter.feed("ere") == [AnswerText("</there", provisional=True)]


def test_a_reasoning_field_ends_the_wait() -> None:
    splitter = ThinkSplitter()
    pieces = splitter.feed("Hello")
    pieces += splitter.reasoning_field_seen()
    pieces += splitter.feed(" </think> world")
    assert _outcome(pieces + splitter.finish()) == ("", "Hello </think> world")


def test_thinking_that_never_closes_is_all_thinking() -> None:
    assert _split(["<think>Let me see", " more"]) == ("Let me see more", "")


def test_a_saved_answer_splits_the_same_way() -> None:
    assert split_saved("<think>\nhmm\n</think>\n\nHello") == ("hmm", "Hello")
    assert split_saved("Plain answer") == ("", "Plain answer")


_SHAPES = st.sampled_from(
    [
        "<think>\nLet me think about <b> and </b>.\n</think>\n\nThe answer is **42**.",
        "  <think>short</think>answer",
        "Okay, so the user wants x.\n\nWait, maybe y.\n</think>\n\n# Answer\n\nIt is y.",
        "No thinking here, just < and </ and <thin text.",
        "<think>never closed",
        "Answer with `</think>` quoted.",
        "<think></think>\n\nEmpty thought.",
        "",
    ]
)


@settings(max_examples=300, deadline=None)
@given(_SHAPES, st.lists(st.integers(min_value=0, max_value=200), max_size=8))
def test_any_split_of_the_text_gives_the_same_outcome(text: str, cuts: list[int]) -> None:
    points = sorted({min(cut, len(text)) for cut in cuts})
    chunks = [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]
    assert _split(chunks) == _split([text])


def test_every_single_cut_position() -> None:
    for text in ["<think>ab</think>\n\ncd", "xy</think>\n\nzw", "plain </thinkers> text"]:
        whole = _split([text])
        for cut in range(len(text) + 1):
            assert _split([text[:cut], text[cut:]]) == whole, (text, cut)
        assert _split(list(text)) == whole


def test_a_real_closing_tag_after_a_quoted_one_in_the_same_chunk() -> None:
    assert _split(["`</think>` is the tag\n</think>\n\nDone."]) == (
        "`</think>` is the tag\n",
        "Done.",
    )


def test_a_heading_ends_the_wait_at_once() -> None:
    splitter = ThinkSplitter()
    pieces = splitter.feed("# Prefix caching\n")
    assert pieces == [AnswerText("# Prefix caching\n", provisional=True), Confirmed()]
    assert _split(["# Title\n\nWhy close </think> here"]) == (
        "",
        "# Title\n\nWhy close </think> here",
    )


def test_a_table_ends_the_wait_but_prose_lists_and_code_do_not() -> None:
    table = "| a | b |\n|---|---|\n"
    splitter = ThinkSplitter()
    assert Confirmed() in splitter.feed(table)
    thought = "Okay.\n\n- first idea\n- second\n\n```python\nx = 1\n```\n\nSo yes.\n"
    assert _split([thought, "</think>\n\nAnswer."]) == (thought, "Answer.")


def test_a_heading_inside_a_line_is_not_structure() -> None:
    assert _split(["I could use # here\n", "</think>\n\nDone"]) == ("I could use # here\n", "Done")
