"""/search and /resume in the installed REPL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import zorac_command
from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer


def test_search_finds_an_old_exchange_and_resume_continues_it(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    term = start_repl(terminal, fresh_requests)
    term.enter("[[echo]] remember the aardvark")
    term.wait_for(r"Stats: ")
    term.enter("/clear")
    cleared = term.wait_for(r"stays in the log: /resume (\d+) takes it up again")
    term.enter("[[echo]] something else entirely")
    term.wait_count(r"Stats: ", 2)
    term.enter("/search aardvark")
    found = term.wait_for(r"\n\s*(\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+.*«aardvark»")
    conversation_id = found.group(1)
    assert conversation_id == cleared.group(1)
    term.enter(f"/resume {conversation_id}")
    term.wait_for(rf"Switched to conversation {conversation_id} \(2 messages")
    term.enter("[[echo]] and now?")
    term.wait_count(r"Stats: ", 3)
    sent = [m["content"] for m in fresh_requests.chat_requests()[-1].messages]
    assert "remember the aardvark" in sent and "something else entirely" not in sent
    term.wait_for(r"\| 4 msgs")  # the toolbar, once redrawn
    term.enter("/load default")  # the conversation /clear started was saved on the way
    term.wait_for(r"Switched to the session 'default' \(2 messages")
    term.enter(f"/resume {conversation_id}")
    term.wait_for(rf"Switched to conversation {conversation_id} \(4 messages")


def test_forget_deletes_the_conversation_from_the_log_after_asking(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    term = start_repl(terminal, fresh_requests)
    term.enter("[[echo]] a secret to forget")
    term.wait_for(r"Stats: ")
    term.enter("/forget")
    term.wait_for(r"Delete this conversation \(2 messages\) for real")
    term.type("y")
    term.wait_for(r"Forgotten: this conversation is gone from the log")
    term.wait_for(r"\| 0 msgs")  # the toolbar, once redrawn
    listed = subprocess.run(
        [zorac_command(), "log", "-q", "secret", "--json"],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=30,
    )
    assert json.loads(listed.stdout) == []


def test_two_repls_and_one_shots_writing_at_once_lose_nothing(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    """Two REPLs on the same session (the second becomes default-2) and one-shots, all
    answering at once, slowly enough that their writes overlap."""
    first = start_repl(terminal, fresh_requests)
    second = start_repl(terminal, fresh_requests)
    second.wait_for(r"Another zorac-repl is using the session 'default'")
    env = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    rounds = 4
    for number in range(rounds):
        first.enter(f"first {number} [[tokens=30 rate=100]]")
        second.enter(f"second {number} [[tokens=30 rate=100]]")
        shots = [
            subprocess.Popen(
                [zorac_command(), f"shot {number}-{shot} [[tokens=30 rate=100]]"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for shot in range(2)
        ]
        first.wait_count(r"Stats: ", number + 1)
        second.wait_count(r"Stats: ", number + 1)
        for shot in shots:
            _, errors = shot.communicate(timeout=60)
            assert shot.returncode == 0, errors
    first.wait_for(rf"\| {2 * rounds} msgs")
    second.wait_for(rf"\| {2 * rounds} msgs")
    with sqlite3.connect(Path(os.environ["ZORAC_DATA_DIR"]) / "log.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        questions = [row[0] for row in db.execute("SELECT question FROM exchanges")]
        states = dict(db.execute("SELECT name, size FROM conversations WHERE name IS NOT NULL"))
    assert len(questions) == 4 * rounds
    for tag in ("first", "second", "shot"):
        assert sum(q.startswith(tag) for q in questions) == (2 if tag == "shot" else 1) * rounds
    assert states == {"default": 2 * rounds, "default-2": 2 * rounds}


def test_a_locked_log_is_said_once_and_the_repl_chats_on_in_memory(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    """Another program holds the database's write lock past the busy timeout."""
    term = start_repl(terminal, fresh_requests)
    term.enter("[[echo]] before the lock")
    term.wait_for(r"Stats: ")
    holder = sqlite3.connect(Path(os.environ["ZORAC_DATA_DIR"]) / "log.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        term.enter("[[echo]] while it is locked")
        term.wait_for(r"could\s+not\s+be\s+written\s+\(database\s+is\s+locked\)\.\s+The\s+chat", 20)
        term.enter("[[echo]] and after")
        term.wait_count(r"Stats: ", 3)
        term.wait_for(r"\| 6 msgs")  # nothing lost in memory
        sent = [m["content"] for m in fresh_requests.chat_requests()[-1].messages]
        assert "[[echo]] while it is locked" in sent
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert " ".join(term.scrollback().split()).count("The chat goes on without the log") == 1
    term.enter("/save")  # tries again, now that it can
    term.wait_for(r"Saved 6 messages as the session 'default'")
