"""/search and /resume in the installed REPL."""

from __future__ import annotations

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
    import json
    import os
    import subprocess

    from tests.conftest import zorac_command

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
