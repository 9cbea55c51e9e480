"""The prompt's key parser: a bracketed paste in any reads is one paste, exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

from zorac_repl.terminal.paste_parser import LinearPasteParser


def _parse(data: str, cuts: list[int]) -> list[KeyPress]:
    keys: list[KeyPress] = []
    parser = LinearPasteParser(keys.append)
    start = 0
    for cut in sorted({*(c % (len(data) + 1) for c in cuts), len(data)}):
        parser.feed(data[start:cut])
        start = cut
    parser.flush()
    return keys


_TEXT = st.text(
    alphabet=st.sampled_from(["a", "b", " ", "\n", "\r", "\x1b", "[", "2", "0", "1", "~", "é"]),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(_TEXT.filter(lambda t: "\x1b[201~" not in t), st.lists(st.integers(0, 400), max_size=20))
def test_a_paste_in_any_reads_is_one_key_with_its_exact_text(pasted, cuts):
    keys = _parse(f"x\x1b[200~{pasted}\x1b[201~yz", cuts)
    assert [k.key for k in keys] == ["x", Keys.BracketedPaste, "y", "z"]
    assert keys[1].data == pasted


def test_two_pastes_in_one_read_are_two_keys():
    keys = _parse("\x1b[200~one\x1b[201~\x1b[200~two\x1b[201~", [])
    assert [(k.key, k.data) for k in keys] == [
        (Keys.BracketedPaste, "one"),
        (Keys.BracketedPaste, "two"),
    ]


def test_a_large_paste_in_small_reads_keeps_every_character():
    pasted = "".join(f"line {n}\n" for n in range(200_000))  # 1.5 MB
    data = f"\x1b[200~{pasted}\x1b[201~"
    keys = _parse(data, list(range(0, len(data), 1024)))
    assert len(keys) == 1 and keys[0].data == pasted
