"""Tools in one-shot mode, through real pipes: only pre-approved tools run, nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import zorac_command
from tests.tool_config import configure_tools
from zorac_repl.devserver import DevServer


def _run(server: DevServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [zorac_command(), *args],
        input="",
        capture_output=True,
        text=True,
        env={**os.environ, "VLLM_BASE_URL": server.base_url, **env},
        timeout=60,
    )


def _tool_messages(server: DevServer) -> list[dict[str, object]]:
    return [m for m in server.chat_requests()[-1].messages if m.get("role") == "tool"]


def test_an_unapproved_tool_never_runs_in_a_pipe_and_the_model_is_told(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    configure_tools()
    note = tmp_path / "note.txt"
    arguments = json.dumps({"path": str(note), "text": "hi"}, separators=(",", ":"))
    done = _run(server, f"[[call=test__write_note args={arguments}]] write it")
    assert done.returncode == 0, done.stderr
    assert not note.exists()
    [told] = _tool_messages(server)
    assert told["content"] == "The user refused to run this call."
    assert "which is not in autoApprove; with no one to ask, it was not run" in done.stderr
    assert "⚙ test write_note: not run" in done.stderr
    assert done.stdout.startswith("The tools said: ")


def test_a_pre_approved_tool_runs_in_a_pipe_and_its_result_reaches_the_model(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    configure_tools(approve=("add",))
    done = _run(server, '[[call=test__add args={"a":2,"b":40}]] add')
    assert done.returncode == 0, done.stderr
    [told] = _tool_messages(server)
    assert told["content"] == "42"
    first = server.chat_requests()[0].body
    assert first is not None
    assert "test__add" in [tool["function"]["name"] for tool in first["tools"]]


def test_the_tool_server_never_sees_the_api_key(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(api_key="sk-very-secret")
    configure_tools(approve=("environment",), env={"GIVEN": "yes"})
    done = _run(server, "[[call=test__environment]] env", VLLM_API_KEY="sk-very-secret")
    assert done.returncode == 0, done.stderr
    [told] = _tool_messages(server)
    names = str(told["content"]).split()
    assert "VLLM_API_KEY" not in names and "GIVEN" in names and "PATH" in names


def test_no_tools_sends_none(make_server: Callable[..., DevServer]) -> None:
    server = make_server()
    configure_tools(approve=("add",))
    for args in (["--no-tools"], []):
        env = {"TOOLS": "false"} if not args else {}
        done = _run(server, *args, "[[call=test__add]] hi", **env)
        assert done.returncode == 0, done.stderr
        body = server.chat_requests()[-1].body
        assert body is not None and "tools" not in body


def test_vllm_not_started_for_tools_is_one_line_naming_both_flags(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(tools=False)
    configure_tools()
    done = _run(server, "hello")
    assert done.returncode == 4
    last = done.stderr.splitlines()[-1]
    assert "--enable-auto-tool-choice --tool-call-parser" in last
    assert "\n" not in last


def test_an_ollama_model_without_the_capability_gets_no_tools(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(flavor="ollama", tools=False)
    configure_tools()
    done = _run(server, "hello")
    assert done.returncode == 0, done.stderr
    body = server.chat_requests()[-1].body
    assert body is not None and "tools" not in body
    assert "takes no tools (/api/show capabilities)" in done.stderr


def test_llama_cpp_without_jinja_writes_a_call_as_text_and_nothing_runs(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    # An older build: its /props has no template capabilities, so tools are sent.
    server = make_server(flavor="llamacpp-old", tools=False)
    configure_tools(approve=("write_note",))
    note = tmp_path / "note.txt"
    arguments = json.dumps({"path": str(note), "text": "x"}, separators=(",", ":"))
    done = _run(server, f"[[call=test__write_note args={arguments}]] go")
    assert done.returncode == 0, done.stderr
    assert not note.exists()
    assert "llama-server needs --jinja" in done.stderr


def test_a_bad_mcp_servers_entry_is_one_line_and_the_rest_works(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    path = configure_tools(approve=("add",))
    config = json.loads(path.read_text())
    config["mcpServers"]["broken"] = {"args": ["x"]}
    path.write_text(json.dumps(config))
    done = _run(server, '[[call=test__add args={"a":1,"b":1}]] add')
    assert done.returncode == 0, done.stderr
    assert "the MCP server 'broken' needs either \"command\"" in done.stderr
    assert _tool_messages(server)[0]["content"] == "2"


def test_mcp_is_not_imported_until_a_server_starts() -> None:
    probe = (
        "import sys, zorac_repl.chat.parts, zorac_repl.oneshot, zorac_repl.repl.app; "
        "print('mcp' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_a_server_that_cannot_start_is_one_line_and_the_message_goes_without_it(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    path = configure_tools()
    path.write_text(json.dumps({"mcpServers": {"gone": {"command": "/nonexistent/mcp"}}}))
    done = _run(server, "hello")
    assert done.returncode == 0, done.stderr
    failed = [line for line in done.stderr.splitlines() if "The MCP server gone failed:" in line]
    assert len(failed) == 1
    body = server.chat_requests()[-1].body
    assert body is not None and "tools" not in body


def test_a_long_result_is_cut_with_a_note_to_the_model(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    configure_tools(approve=("shout",))
    done = _run(server, '[[call=test__shout args={"times":2000}]] shout', TOOL_RESULT_MAX="1K")
    assert done.returncode == 0, done.stderr
    [told] = _tool_messages(server)
    text = str(told["content"])
    assert text.startswith("LOUD LOUD")
    assert text.endswith(
        "[The result was 10000 characters; only the first 1024 are here (TOOL_RESULT_MAX).]"
    )


@pytest.mark.parametrize("flavor", ["vllm", "llamacpp", "ollama", "sglang", "lmstudio"])
@pytest.mark.parametrize("stream", ["true", "false"])
def test_two_rounds_of_tools_in_every_flavor_streamed_or_not(
    make_server: Callable[..., DevServer], flavor: str, stream: str
) -> None:
    server = make_server(flavor=flavor)
    configure_tools(approve=("add", "echo"))
    done = _run(
        server,
        '[[call=test__add+test__echo,test__add args={"a":2,"b":3,"text":"hi"}]] go',
        STREAM=stream,
    )
    assert done.returncode == 0, done.stderr
    assert len(server.chat_requests()) == 3
    assert [m["content"] for m in _tool_messages(server)] == ["5", "hi", "5"]
    assert done.stdout.startswith("The tools said: ")


def test_the_round_cap_is_said_and_the_model_answers_without_tools(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    configure_tools(approve=("add",))
    done = _run(
        server, '[[call=test__add,test__add,test__add args={"a":1,"b":1}]] go', TOOL_ROUNDS="2"
    )
    assert done.returncode == 0, done.stderr
    requests = server.chat_requests()
    assert len(requests) == 4
    last = requests[-1].body
    assert last is not None and "tools" not in last
    assert [m["content"] for m in _tool_messages(server)][-1].startswith(
        "Not run: this message has had 2 rounds of tool calls (TOOL_ROUNDS)."
    )
    assert "asked for tools 2 rounds running (TOOL_ROUNDS); it answers without them" in done.stderr
    assert done.stderr.count("Tool call: test · add") == 2  # the two that ran, shown unasked
    assert "⚙ test add: not run" in done.stderr


def test_a_saved_exchange_keeps_its_calls_and_results_for_c(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    configure_tools(approve=("add",))
    first = _run(server, "--session", "tools", '[[call=test__add args={"a":20,"b":22}]] add')
    assert first.returncode == 0, first.stderr
    again = _run(server, "--session", "tools", "[[echo]] and now?")
    assert again.returncode == 0, again.stderr
    roles = [m["role"] for m in server.chat_requests()[-1].messages]
    assert roles[-5:] == ["user", "assistant", "tool", "assistant", "user"]
    assert _tool_messages(server)[0]["content"] == "42"


def test_arguments_that_are_not_json_are_refused_before_anything_runs(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    configure_tools(approve=("write_note",))
    done = _run(server, "[[call=test__write_note args=not-json]] go")
    assert done.returncode == 0, done.stderr
    [told] = _tool_messages(server)
    assert str(told["content"]).startswith("The arguments are not valid JSON (")
    assert str(told["content"]).endswith("nothing was run.")


@pytest.mark.parametrize(
    ("flavor", "where"),
    [
        ("lmstudio", "/api/v1/models trained_for_tool_use"),
        ("llamacpp", "/props chat_template_caps"),
    ],
)
def test_a_server_that_says_its_model_takes_no_tools_gets_none(
    make_server: Callable[..., DevServer], flavor: str, where: str
) -> None:
    server = make_server(flavor=flavor, tools=False)
    configure_tools()
    done = _run(server, "hello")
    assert done.returncode == 0, done.stderr
    body = server.chat_requests()[-1].body
    assert body is not None and "tools" not in body
    assert f"takes no tools ({where})" in done.stderr


def test_a_profile_brings_its_own_mcp_servers(make_server: Callable[..., DevServer]) -> None:
    server = make_server()
    path = configure_tools(approve=("add",))
    config = json.loads(path.read_text())
    profile_servers = {"other": {**config["mcpServers"]["test"]}}
    config["profiles"] = {"lab": {"base_url": server.base_url, "mcpServers": profile_servers}}
    path.write_text(json.dumps(config))
    done = _run(server, "-p", "lab", '[[call=other__add args={"a":3,"b":4}]] add')
    assert done.returncode == 0, done.stderr
    first = server.chat_requests()[0].body
    assert first is not None
    names = [tool["function"]["name"] for tool in first["tools"]]
    assert "other__add" in names and "test__add" not in names
    assert _tool_messages(server)[0]["content"] == "7"
