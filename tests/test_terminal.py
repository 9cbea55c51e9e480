"""The keyboard while an answer streams, and asking the terminal for its cursor, on a real pty."""

from __future__ import annotations

import asyncio
import os
import pty
import tty
from collections.abc import Iterator

import pytest
from prompt_toolkit.key_binding import KeyPress
from prompt_toolkit.keys import Keys

from tests.helpers import until
from zorac_repl.terminal.keyboard import KeyReader
from zorac_repl.terminal.screen import CursorProbe, known_to_rewrap


def _typed(keys: list[KeyPress]) -> bytes:
    """The keys as the bytes that were typed (a paste with its markers)."""
    text = "".join(
        f"\x1b[200~{key.data}\x1b[201~" if key.key == Keys.BracketedPaste else key.data
        for key in keys
    )
    return text.encode("utf-8", "surrogateescape")


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = pty.openpty()
    tty.setraw(slave)  # what the REPL holds: bytes arrive as typed
    yield master, slave
    os.close(master)
    os.close(slave)


def _probe_with_reply(
    pty_pair: tuple[int, int], reply: bytes, timeout: float = 2.0
) -> tuple[object, bytes, list[str]]:
    master, slave = pty_pair
    asked: list[str] = []

    def write(text: str) -> None:
        asked.append(text)
        os.write(master, reply)  # the terminal answers (and the user typed around it)

    keys = KeyReader(slave, lambda _text: None)

    async def ask() -> object:
        keys.start(on_interrupt=lambda: None)
        try:
            return await CursorProbe(write, keys).position(timeout)
        finally:
            keys.stop()

    position = asyncio.run(ask())
    return position, _typed(keys.take()), asked


def test_the_cursor_report_is_read_and_keys_typed_around_it_are_kept_in_order(pty_pair):
    position, typed, asked = _probe_with_reply(pty_pair, b"next \x1b[A\x1b[30;100Rquestion")
    assert asked == ["\x1b[6n"]
    assert position == (29, 99)
    assert typed == b"next \x1b[Aquestion"


def test_a_terminal_that_does_not_answer_gives_no_position_and_loses_no_keys(pty_pair):
    position, typed, _ = _probe_with_reply(pty_pair, b"typed meanwhile", timeout=0.2)
    assert position is None
    assert typed == b"typed meanwhile"


def test_a_terminal_that_did_not_answer_is_not_asked_again(pty_pair):
    _, slave = pty_pair
    asked: list[str] = []
    keys = KeyReader(slave, lambda _text: None)
    probe = CursorProbe(asked.append, keys)

    async def ask_twice() -> object:
        keys.start(on_interrupt=lambda: None)
        await probe.position(0.1)
        return await probe.position(0.1)

    assert asyncio.run(ask_twice()) is None
    assert asked == ["\x1b[6n"]


def _read_while_busy(
    pty_pair: tuple[int, int], chunks: list[bytes], after_stop: bytes = b""
) -> tuple[list[KeyPress], int, list[str]]:
    """Type ``chunks`` while busy, and ``after_stop`` just as the work ends."""
    master, slave = pty_pair
    written: list[str] = []
    keys = KeyReader(slave, written.append)
    interrupts = 0

    def interrupt() -> None:
        nonlocal interrupts
        interrupts += 1

    async def busy() -> None:
        keys.start(on_interrupt=interrupt)
        for chunk in chunks:
            os.write(master, chunk)
            await asyncio.sleep(0.02)
        if after_stop:
            loop = asyncio.get_running_loop()
            loop.call_later(0.05, os.write, master, after_stop)
            await asyncio.to_thread(keys.stop)
        else:
            keys.stop()

    asyncio.run(busy())
    return keys.take(), interrupts, written


def test_ctrl_c_stops_the_work_and_other_keys_wait_in_order(pty_pair):
    keys, interrupts, written = _read_while_busy(pty_pair, [b"next ", b"\x03", b"q\r\x04"])
    assert interrupts == 1
    assert _typed(keys) == b"next q\r\x04"
    assert written == ["\x1b[?2004h"]  # a paste made now stays one paste


def test_ctrl_c_inside_a_paste_is_pasted_text_not_a_stop(pty_pair):
    paste = b"\x1b[200~a\x03b\r\nc\x1b[201~"
    keys, interrupts, _ = _read_while_busy(pty_pair, [paste[:9], paste[9:]])
    assert interrupts == 0
    assert [key.key for key in keys] == [Keys.BracketedPaste]  # one paste, for the prompt
    assert _typed(keys) == paste


def test_a_large_paste_with_its_end_marker_cut_in_two_is_one_paste(pty_pair):
    paste = b"\x1b[200~" + b"x\x03" * 20_000 + b"\x1b[201~"
    chunks = [paste[start : start + 4096] for start in range(0, len(paste) - 3, 4096)]
    cut = len(paste) - 3  # the end marker arrives as "\x1b[2" and then "01~"
    chunks[-1] = paste[(len(chunks) - 1) * 4096 : cut]
    keys, interrupts, _ = _read_while_busy(pty_pair, [*chunks, paste[cut:], b"\x03"])
    assert interrupts == 1  # only the Ctrl+C typed after the paste
    assert _typed(keys) == paste


def test_a_paste_still_arriving_when_the_work_ends_is_kept_whole(pty_pair):
    keys, _, _ = _read_while_busy(
        pty_pair, [b"\x1b[200~first line\r"], after_stop=b"second line\x1b[201~"
    )
    assert [key.key for key in keys] == [Keys.BracketedPaste]
    assert _typed(keys) == b"\x1b[200~first line\rsecond line\x1b[201~"


def test_terminals_known_to_rewrap_are_told_by_their_environment():
    assert known_to_rewrap({"TMUX": "/tmp/tmux-0/default,1,0"}) is True
    assert known_to_rewrap({"TERM_PROGRAM": "iTerm.app"}) is True
    assert known_to_rewrap({"TERM": "xterm-256color"}) is None


def test_a_key_whose_sequence_is_cut_when_the_work_ends_is_one_key(pty_pair):
    master, slave = pty_pair
    keys = KeyReader(slave, lambda _text: None)

    async def busy() -> None:
        keys.start(on_interrupt=lambda: None)
        os.write(master, b"a\x1b[")
        await until(lambda: keys._unparsed > 0)  # read: "a", and the start of a sequence
        os.write(master, b"A")  # its end, still unread when the work ends
        keys.stop()

    asyncio.run(busy())
    assert [key.key for key in keys.take()] == ["a", Keys.Up]


def test_a_lone_escape_typed_last_is_handed_over_as_escape(pty_pair):
    keys, _, _ = _read_while_busy(pty_pair, [b"x\x1b"])
    assert [key.key for key in keys] == ["x", Keys.Escape]
