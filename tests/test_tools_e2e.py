"""Tool calls in the installed REPL, as a user meets them: shown, asked, run or not."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from tests.helpers import start_repl
from tests.terminal import Terminal
from tests.tool_config import configure_tools
from zorac_repl.devserver import DevServer

QUESTION = r"Run it\? \[y\]es \[n\]o \[a\]lways this tool \[e\]dit:"


def _call(tool: str, **arguments: object) -> str:
    return f"[[call=test__{tool} args={json.dumps(arguments, separators=(',', ':'))}]]"


def _told(server: DevServer) -> list[str]:
    return [str(m["content"]) for m in server.chat_requests()[-1].messages if m["role"] == "tool"]


def test_a_tool_that_writes_runs_only_after_yes(
    terminal: type[Terminal], fresh_requests: DevServer, tmp_path: Path
) -> None:
    configure_tools()
    note = tmp_path / "note.txt"
    term = start_repl(terminal, fresh_requests)
    term.enter(_call("write_note", path=str(note), text="hello") + " write it")
    term.wait_for(r"Tool call: test · write_note")
    term.wait_for(QUESTION)
    term.wait_for(re.escape(f'"path": "{note}"'))
    assert not note.exists()  # shown, not run
    term.type("n")
    term.wait_for(r"⚙ test write_note: not run, \d+ characters · /tool 1 shows it")
    term.wait_for(r"Stats: ")
    assert not note.exists()
    assert _told(fresh_requests) == ["The user refused to run this call."]
    term.enter(_call("write_note", path=str(note), text="hello") + " again")
    term.wait_count(QUESTION, 2)
    assert not note.exists()
    term.type("y")
    term.wait_for(r"⚙ test write_note: ok, \d+ characters in [\d.]+s · /tool 2 shows it")
    term.wait_count(r"Stats: ", 2)
    assert note.read_text() == "hello"
    term.enter("/tool 2")
    term.wait_flat(r"test write_note \(ok\): wrote 5 characters to /tmp")


def test_always_runs_the_tool_unasked_for_the_rest_of_the_run(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    configure_tools()
    term = start_repl(terminal, fresh_requests)
    term.enter(_call("add", a=1, b=2) + " add")
    term.wait_for(QUESTION)
    term.type("a")
    term.wait_for(r"⚙ test add: ok")
    term.wait_for(r"Stats: ")
    term.enter(_call("add", a=20, b=22) + " add again")
    term.wait_count(r"Stats: ", 2)
    assert term.scrollback().count("Run it?") == 1  # shown twice, asked once
    assert _told(fresh_requests) == ["3", "42"]  # the history keeps the first result
    term.enter("/tools")
    term.wait_for(r"test\s+running")
    term.wait_for(r"add \(runs unasked\): Add two whole numbers\.")


def test_ctrl_c_cancels_a_running_call_and_the_model_is_told(
    terminal: type[Terminal], fresh_requests: DevServer, tmp_path: Path
) -> None:
    configure_tools(approve=("slow",))
    marker = tmp_path / "cancelled"
    term = start_repl(terminal, fresh_requests)
    term.enter(_call("slow", seconds=60, marker=str(marker)) + " wait")
    term.wait_for(r"Running test slow… \(Ctrl\+C cancels the call\)")
    term.ctrl("c")
    term.wait_for(r"⚙ test slow: cancelled")
    term.wait_for(r"Stats: ")
    assert _told(fresh_requests) == ["The user cancelled this call (Ctrl+C)."]
    # MCP's cancellation reached the server: the tool itself was stopped.
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline, "the server never saw the cancellation"
        time.sleep(0.05)


def test_two_rounds_of_tools_then_the_answer(
    terminal: type[Terminal], fresh_requests: DevServer
) -> None:
    configure_tools(approve=("add", "echo"))
    term = start_repl(terminal, fresh_requests)
    term.enter('[[call=test__add,test__echo args={"a":2,"b":3,"text":"done"}]] two rounds')
    term.wait_for(r"Stats: ")
    requests = fresh_requests.chat_requests()
    assert len(requests) == 3
    roles = [m["role"] for m in requests[-1].messages]
    assert roles[-4:] == ["assistant", "tool", "assistant", "tool"]
    assert _told(fresh_requests) == ["5", "done"]
    screen = term.scrollback()
    assert screen.index("⚙ test add: ok") < screen.index("⚙ test echo: ok")
    term.enter("/undo")
    term.wait_for(r"Removed 1 exchange from the conversation")
    term.wait_for(r"\| 0 msgs")  # the toolbar, once redrawn


def test_edited_arguments_are_shown_again_and_run_as_edited(
    terminal: type[Terminal], make_server, tmp_path: Path
) -> None:
    server = make_server()
    configure_tools()
    note = tmp_path / "note.txt"
    term = start_repl(terminal, server, env={"EDITOR": "sed -i s/hello/edited/"})
    term.enter(_call("write_note", path=str(note), text="hello") + " write it")
    term.wait_for(QUESTION)
    term.type("e")
    term.wait_for(r'"text": "edited"')
    term.wait_count(QUESTION, 2)
    assert not note.exists()
    term.type("y")
    term.wait_for(r"Stats: ")
    assert note.read_text() == "edited"
    body = server.chat_requests()[0].body
    assert body is not None  # the model's own call stays as it asked; the result says what ran


def test_a_tool_turned_off_is_not_offered_and_not_run(
    terminal: type[Terminal], make_server
) -> None:
    server = make_server()
    configure_tools(approve=("add",))
    term = start_repl(terminal, server)
    term.enter("/tools off add")
    term.wait_for(r"The tool add is off for this run\.")
    term.enter(_call("add", a=1, b=1) + " add")
    term.wait_for(r"Stats: ")
    body = server.chat_requests()[-1].body
    assert body is not None
    assert "test__add" not in [tool["function"]["name"] for tool in body.get("tools", [])]
    assert _told(server) == ["The tool add is off for this run (/tools); nothing was run."]
