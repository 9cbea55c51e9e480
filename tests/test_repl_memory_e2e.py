"""Conversation memory through the installed REPL: budget, summaries, saved sessions."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from tests.helpers import start_repl
from tests.saved_state import saved_state, state_of
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

_STATS = r"Stats: \d+ tokens in"


def _start(terminal: type[Terminal], server: DevServer, **env: str) -> Terminal:
    return start_repl(terminal, server, env={"SYSTEM_PROMPT": "Be brief.", **env}, columns=200)


def _turns(term: Terminal, count: int, tokens: int = 120, done: int = 0) -> None:
    for number in range(count):
        term.enter(f"question {done + number} [[tokens={tokens}]]")
        term.wait_count(_STATS, done + number + 1)


def _data_dir() -> Path:
    return Path(os.environ["ZORAC_DATA_DIR"])


def test_crossing_the_budget_summarizes_older_messages_first(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, MAX_INPUT_TOKENS="500", KEEP_RECENT_MESSAGES="2")
    _turns(term, 5)
    term.wait_for(r"over the budget of 500; summarizing older messages first")
    term.wait_for(r"Summarized \d+ older messages: ~\d+ → ~\d+ tokens")
    requests = fresh_requests.chat_requests()
    summary_request = next(
        r for r in requests if "Summarize the conversation above" in r.messages[-1]["content"]
    )
    after = requests[requests.index(summary_request) + 1].messages
    roles = [m["role"] for m in after]
    assert roles[:2] == ["system", "system"] and roles[2] == "user"
    assert after[1]["content"].startswith("Summary of the earlier conversation:")
    assert all(a != b or a != "user" for a, b in itertools.pairwise(roles))  # no user, user
    assert len(after) <= 2 + 2 + 1  # system prompt, summary, kept two, the new question
    term.enter("/summary")
    term.wait_for(r"Summary of the earlier conversation:\n")
    saved = saved_state(_data_dir())
    assert saved["summary"] and "Be brief." not in json.dumps(saved)


def test_a_failed_summarization_keeps_everything_and_gives_the_message_back(
    terminal, fresh_requests
):
    term = _start(terminal, fresh_requests, KEEP_RECENT_MESSAGES="2")
    _turns(term, 3)
    term.enter("/config set MAX_INPUT_TOKENS 300")  # applies at once
    term.wait_for(r"MAX_INPUT_TOKENS = 300 \(saved, in effect now\)")
    fresh_requests.inject("drop")
    term.enter("the next question")
    term.wait_for(
        r"Summarization failed: The server closed the connection before the answer "
        r"was complete\. Nothing was removed from the conversation\."
    )
    term.wait_for(r"Your message was not sent; it is back in the input")
    term.wait_for(r"> the next question")
    saved = saved_state(_data_dir())
    assert len(saved["messages"]) == 6 and saved["summary"] is None
    term.ctrl("c")  # clear the draft
    term.enter("/tokens")
    term.wait_for(r"Messages:  6 \(plus the system prompt\)")
    term.enter("/summarize")  # works once the server does
    term.wait_for(r"Summarized 4 older messages")


def test_cancelling_a_summarization_with_ctrl_c_keeps_everything(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, KEEP_RECENT_MESSAGES="2")
    _turns(term, 3, tokens=20)
    fresh_requests.inject("stall")
    term.enter("/summarize")
    term.wait_for(r"Summarizing 4 older messages… \(Ctrl\+C cancels\)")
    term.ctrl("c")
    term.wait_for(r"Summarization cancelled; nothing was removed from the conversation\.")
    term.enter("/tokens")
    term.wait_for(r"Messages:  6 ")


def test_session_is_restored_on_start_and_clear_keeps_the_old_one_in_the_log(
    terminal, fresh_requests
):
    term = _start(terminal, fresh_requests)
    _turns(term, 2, tokens=20)
    term.ctrl("d")
    term.child.expect_exact(__import__("pexpect").EOF, timeout=10)
    term = _start(terminal, fresh_requests)
    term.wait_for(r"Loaded previous session \(4 messages, ~\d+ tokens\)")
    term.enter("/clear")
    found = term.wait_for(r"\(4 messages\) stays in the log: /resume (\d+) takes it up again")
    assert len(state_of(_data_dir(), int(found.group(1)))["messages"]) == 4
    assert saved_state(_data_dir())["messages"] == []
    assert oct((_data_dir() / "log.db").stat().st_mode & 0o777) == "0o600"


def test_an_unreadable_session_file_is_left_alone_and_said_once(terminal, fresh_requests):
    data = _data_dir()
    data.mkdir(parents=True)
    (data / "session.json").write_text("{ this is not json")
    term = _start(terminal, fresh_requests)
    term.wait_for(r"Not imported, unreadable: session\.json \(")
    _turns(term, 1, tokens=10)  # a fresh session works and saves
    assert len(saved_state(data)["messages"]) == 2
    assert (data / "session.json").read_text() == "{ this is not json"  # never deleted


def test_a_corrupt_log_is_moved_aside_and_a_new_one_starts(terminal, fresh_requests):
    data = _data_dir()
    data.mkdir(parents=True)
    (data / "log.db").write_bytes(b"this is not sqlite, but nobody's to overwrite" * 100)
    term = _start(terminal, fresh_requests)
    found = term.wait_for(r"The log was damaged \(.*\); it was moved to\s+(\S+)")
    moved = Path(found.group(1).replace("\n", "").rstrip(","))
    assert moved.read_bytes().startswith(b"this is not sqlite")
    _turns(term, 1, tokens=10)
    assert len(saved_state(data)["messages"]) == 2


def test_context_overflow_from_the_server_gives_the_message_back(make_server, terminal):
    small = make_server(max_model_len=300)
    term = _start(terminal, small, MAX_INPUT_TOKENS="100000")
    message = "word " * 400
    term.enter(message.strip())
    term.wait_for(r"too long for the model's context")
    term.wait_for(r"The message alone is ~\d+ tokens: send a shorter one")
    term.wait_for(r"> word word word")


def test_a_message_the_server_counts_over_its_window_is_not_sent(make_server, terminal):
    small = make_server(max_model_len=300)
    term = _start(terminal, small)
    term.wait_for(r"context 300 tokens")
    term.enter(("word " * 400).strip())
    term.wait_flat(r"counted by the server\), more than the model's window of 300; it was not sent")
    term.wait_for(r"> word word word")  # back in the input
    assert small.chat_requests() == []
