"""MCP servers started and called through the official SDK: the test server in tests/."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from zorac_repl.tools.config import ServerSpec, read_servers
from zorac_repl.tools.servers import ToolFailed, ToolServer

SERVER = str(Path(__file__).with_name("mcp_server.py"))
ENVIRON = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "VLLM_API_KEY": "sk-secret"}


def _spec(**extra: object) -> ServerSpec:
    servers, problems = read_servers(
        {"test": {"command": sys.executable, "args": [SERVER], **extra}}, "config"
    )
    assert problems == []
    return servers["test"]


def _with_server(work: Callable[[ToolServer], Awaitable[None]], **extra: object) -> None:
    async def run() -> None:
        server = ToolServer(_spec(**extra), ENVIRON)
        try:
            await server.start()
            await work(server)
        finally:
            await server.stop()

    asyncio.run(run())


def test_a_server_starts_lists_its_tools_and_answers_a_call() -> None:
    async def work(server: ToolServer) -> None:
        assert server.state == "running", server.problem
        names = {tool.name: tool for tool in server.tools}
        assert {"echo", "add", "write_note", "slow", "crash"} <= set(names)
        assert names["add"].qualified == "test__add"
        assert names["add"].schema["required"] == ["a", "b"]
        assert names["echo"].approved and not names["add"].approved
        result = await server.call("add", {"a": 2, "b": 3}, timeout=10)
        assert (result.text, result.is_error) == ("5", False)

    _with_server(work, autoApprove=["echo"])


def test_the_server_gets_only_its_own_environment_path_and_home() -> None:
    async def work(server: ToolServer) -> None:
        result = await server.call("environment", {}, timeout=10)
        names = set(result.text.split())
        assert "VLLM_API_KEY" not in names
        assert {"PATH", "HOME", "GIVEN"} <= names
        assert names - {"PATH", "HOME", "GIVEN"} <= {"PWD", "SHLVL", "_", "LC_CTYPE"}

    _with_server(work, env={"GIVEN": "1"})


def test_a_call_past_its_timeout_is_cancelled_and_said() -> None:
    async def work(server: ToolServer) -> None:
        with pytest.raises(ToolFailed, match=r"test slow did not answer within 0.5s"):
            await server.call("slow", {"seconds": 30}, timeout=0.5)
        assert (await server.call("echo", {"text": "still here"}, timeout=10)).text == "still here"

    _with_server(work)


def test_cancelling_a_call_leaves_the_server_running() -> None:
    async def work(server: ToolServer) -> None:
        call = asyncio.ensure_future(server.call("slow", {"seconds": 30}, timeout=60))
        await asyncio.sleep(0.5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        assert (await server.call("add", {"a": 1, "b": 1}, timeout=10)).text == "2"

    _with_server(work)


def test_a_server_that_crashes_mid_call_is_one_line_with_its_last_words() -> None:
    async def work(server: ToolServer) -> None:
        with pytest.raises(ToolFailed) as failed:
            await server.call("crash", {}, timeout=10)
        assert "\n" not in str(failed.value)
        assert str(failed.value).startswith("test crash failed: ")

    _with_server(work)


def test_a_command_that_does_not_exist_fails_to_start_in_one_line() -> None:
    async def run() -> None:
        spec = read_servers({"gone": {"command": "/nonexistent/mcp-server"}}, "config")[0]["gone"]
        server = ToolServer(spec, ENVIRON)
        await server.start()
        assert server.state == "failed"
        assert "\n" not in server.problem and server.problem
        await server.stop()

    asyncio.run(run())


def test_bad_entries_are_reported_one_line_each_and_left_out() -> None:
    servers, problems = read_servers(
        {
            "ok": {"url": "http://127.0.0.1:9/mcp", "headers": {"X-Key": "k"}},
            "both": {"command": "a", "url": "http://b"},
            "neither": {"args": []},
            "bad args": {"command": "x"},
            "args": {"command": "x", "args": "not a list"},
        },
        "config.json",
    )
    assert list(servers) == ["ok"]
    assert servers["ok"].headers == (("X-Key", "k"),)
    assert len(problems) == 4
    assert problems[0] == (
        'config.json: the MCP server \'both\' needs either "command" (stdio) or "url" '
        "(streamable HTTP); it is left out."
    )


def test_a_streamable_http_server_is_reached_by_its_url() -> None:
    import socket
    import subprocess
    import time

    from tests.conftest import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, SERVER, "--http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "the HTTP MCP server never listened"
            time.sleep(0.05)

        async def run() -> None:
            spec = read_servers(
                {"web": {"url": f"http://127.0.0.1:{port}/mcp", "headers": {"X-Test": "1"}}},
                "config",
            )[0]["web"]
            server = ToolServer(spec, ENVIRON)
            try:
                await server.start()
                assert server.state == "running", server.problem
                assert (await server.call("add", {"a": 4, "b": 5}, timeout=10)).text == "9"
            finally:
                await server.stop()

        asyncio.run(run())
    finally:
        process.terminate()
        process.wait(10)


def test_a_server_that_prints_garbage_is_one_line_or_an_answer_never_a_hang() -> None:
    async def work(server: ToolServer) -> None:
        try:
            result = await server.call("garbage", {}, timeout=10)
        except ToolFailed as exc:
            assert "\n" not in str(exc)
        else:
            assert result.text == "answered after the garbage"
        # Whatever became of that call, the next one is answered or refused in one line.
        try:
            assert (await server.call("add", {"a": 1, "b": 2}, timeout=10)).text == "3"
        except ToolFailed as exc:
            assert "\n" not in str(exc)

    _with_server(work)
