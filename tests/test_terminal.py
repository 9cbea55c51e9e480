"""Asking the terminal where its cursor is while an answer streams, through a real pty."""

from __future__ import annotations

import asyncio
import os
import pty
import tty

from zorac_repl.terminal import CursorProbe, known_to_rewrap


def _probe_with_reply(reply: bytes, timeout: float = 2.0) -> tuple[object, bytes, list[str]]:
    master, slave = pty.openpty()
    tty.setraw(slave)  # what quiet_input gives: bytes arrive as typed
    asked: list[str] = []

    def write(text: str) -> None:
        asked.append(text)
        os.write(master, reply)  # the terminal answers (and the user typed around it)

    try:
        probe = CursorProbe(write, fd=slave)
        position = asyncio.run(probe.position(timeout))
        return position, probe.take_typed(), asked
    finally:
        os.close(master)
        os.close(slave)


def test_the_cursor_report_is_read_and_keys_typed_around_it_are_kept_in_order():
    position, typed, asked = _probe_with_reply(b"next \x1b[A\x1b[30;100Rquestion")
    assert asked == ["\x1b[6n"]
    assert position == (29, 99)
    assert typed == b"next \x1b[Aquestion"


def test_a_terminal_that_does_not_answer_gives_no_position_and_loses_no_keys():
    position, typed, _ = _probe_with_reply(b"typed meanwhile", timeout=0.2)
    assert position is None
    assert typed == b"typed meanwhile"


def test_a_terminal_that_did_not_answer_is_not_asked_again():
    master, slave = pty.openpty()
    asked: list[str] = []
    try:
        probe = CursorProbe(asked.append, fd=slave)
        asyncio.run(probe.position(0.1))
        assert asyncio.run(probe.position(0.1)) is None
    finally:
        os.close(master)
        os.close(slave)
    assert asked == ["\x1b[6n"]


def test_terminals_known_to_rewrap_are_told_by_their_environment():
    assert known_to_rewrap({"TMUX": "/tmp/tmux-0/default,1,0"}) is True
    assert known_to_rewrap({"TERM_PROGRAM": "iTerm.app"}) is True
    assert known_to_rewrap({"TERM": "xterm-256color"}) is None
