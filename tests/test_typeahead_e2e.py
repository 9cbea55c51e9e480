"""Keys typed while zorac-repl is busy reach the next prompt, in order, as if typed there.

Each test types into the installed zorac-repl on a pty while an answer streams or a
command runs, including in the very read where the ``Stats:`` line arrives, when the
answer has just ended and the next prompt is not drawn yet.
"""

from __future__ import annotations

import re
import termios
import threading
import time
from collections.abc import Callable

import pexpect

from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

_PASTE = "line one\rline two\rline three"


def _start(terminal: type[Terminal], server: DevServer) -> Terminal:
    return start_repl(terminal, server, env={"SYSTEM_PROMPT": "S"})


def _when_stats_arrive(term: Terminal, act: Callable[[], None], timeout: float = 15.0) -> None:
    """Call ``act`` in the same read that brings the ``Stats:`` line, before anything else."""
    deadline = time.monotonic() + timeout
    seen = len(term.raw)
    while b"Stats: " not in term.raw[seen - 8 :]:
        assert time.monotonic() < deadline, term.text()
        try:
            data = term.child.read_nonblocking(65536, timeout=0.05)
        except pexpect.TIMEOUT:
            continue
        term.raw += data
        term._stream.feed(data)
    act()


def _has_left(term: Terminal, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        term.pump(0.05)
        if not term.child.isalive():
            return True
    return False


def _wait_requests(server: DevServer, count: int, term: Terminal, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(server.chat_requests()) < count:
        assert time.monotonic() < deadline, term.text()
        term.pump(0.05)


def test_ctrl_d_pressed_as_the_stats_line_appears_leaves(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("short question [[tokens=5]]")
    _when_stats_arrive(term, lambda: term.ctrl("d"))
    assert _has_left(term), term.text()


def test_ctrl_d_pressed_while_help_prints_leaves(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.type("/help\r\x04")
    assert _has_left(term), term.text()
    assert "Commands:" in term.scrollback()


def test_text_typed_while_an_answer_streams_waits_as_the_draft(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("a long one [[tokens=300 rate=200]]")
    term.wait_for(r"tok/s \| TTFT")
    term.type("follow-up question")
    term.wait_for(r"Stats: \d+ tokens")
    term.wait_for(r"> follow-up question")
    assert "follow-up question" not in term.scrollback().split("Stats:")[0]  # never echoed
    term.pump(0.5)
    assert len(fresh_requests.chat_requests()) == 1


def test_enter_typed_ahead_sends_once_the_answer_has_ended(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("first [[tokens=200 rate=200]]")
    term.wait_for(r"tok/s \| TTFT")
    term.enter("second [[tokens=5]]")
    term.wait_count(r"Stats: \d+ tokens", 2)
    requests = fresh_requests.chat_requests()
    assert len(requests) == 2
    assert [m["content"] for m in requests[1].messages if m["role"] == "user"] == [
        "first [[tokens=200 rate=200]]",
        "second [[tokens=5]]",
    ]


def test_a_paste_made_while_busy_is_one_draft_not_several_sends(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("a long one [[tokens=300 rate=200]]")
    term.wait_for(r"tok/s \| TTFT")
    term.paste(_PASTE)
    term.wait_for(r"Stats: \d+ tokens")
    term.wait_for(r"> line one\n… line two\n… line three")
    term.pump(0.5)
    assert len(fresh_requests.chat_requests()) == 1
    term.enter()
    _wait_requests(fresh_requests, 2, term)
    sent = fresh_requests.chat_requests()[1].messages[-1]["content"]
    assert sent == "line one\nline two\nline three"


def test_a_paste_arriving_with_the_stats_line_is_one_draft(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("short question [[tokens=5]]")
    _when_stats_arrive(term, lambda: term.paste(_PASTE))
    term.wait_for(r"> line one\n… line two\n… line three")
    term.pump(0.5)
    assert len(fresh_requests.chat_requests()) == 1


def test_ctrl_c_and_a_question_sent_as_the_stats_line_appears(terminal, fresh_requests):
    """The answer has ended: Ctrl+C clears the empty prompt, and the question is sent."""
    term = _start(terminal, fresh_requests)
    term.enter("short question [[tokens=5]]")
    _when_stats_arrive(term, lambda: term.type("\x03next question [[tokens=5]]\r"))
    term.wait_count(r"Stats: \d+ tokens", 2)
    assert fresh_requests.chat_requests()[-1].messages[-1]["content"] == (
        "next question [[tokens=5]]"
    )
    assert "^C" not in term.scrollback()


def test_ctrl_c_while_busy_still_stops_the_answer_and_later_keys_wait(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    question = "stop me [[tokens=3000 rate=150]]"
    term.enter(question)
    term.wait_for(r"tok/s \| TTFT")
    term.type("\x03 and more")
    term.wait_for(r"Response interrupted\.")
    term.wait_for(re.escape(f"> {question} and more"))
    assert len(fresh_requests.chat_requests()) == 1


def test_the_terminal_is_never_in_cooked_mode_between_two_prompts(terminal, fresh_requests):
    """Cooked mode (echo, line editing) would show typed keys over the answer, eat a Ctrl+D
    and turn Ctrl+C into a signal nobody handles: watch the pty's mode through a turn."""
    term = _start(terminal, fresh_requests)
    cooked: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            local_modes = termios.tcgetattr(term.child.child_fd)[3]
            if local_modes & (termios.ICANON | termios.ECHO):
                cooked.append(local_modes)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        for number in range(3):
            term.enter(f"question {number} [[tokens=5]]")
            term.wait_count(r"Stats: \d+ tokens", number + 1)
            term.type("/help\r")
            term.wait_count(r"Commands:", number + 1)
    finally:
        done.set()
        watcher.join()
    assert cooked == []
