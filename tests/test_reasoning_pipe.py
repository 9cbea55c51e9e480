"""Reasoning models in pipe mode, through real pipes: stdout gets the answer and only it."""

from __future__ import annotations

import os
import select
import subprocess

import pytest

from tests.conftest import zorac_command
from zorac_repl.devserver import DevServer

SHAPES = ["reasoning", "reasoning_content", "tags", "close"]


def _run(args: list[str], server: DevServer, **env: str) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "VLLM_BASE_URL": server.base_url, **env}
    return subprocess.run(
        [zorac_command(), *args], input=b"", capture_output=True, env=environment, timeout=60
    )


def _answer(server: DevServer, shape: str) -> str:
    """The answer part of what the server sent, without its thinking."""
    served = server.chat_requests()[-1].served_text
    return served.split("</think>", 1)[1].lstrip() if shape in ("tags", "close") else served


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("shape", SHAPES)
def test_stdout_gets_only_the_answer(fresh_requests, shape, stream):
    args = [f"Explain [[think=60 via={shape} chunk=2]]", *([] if stream else ["--no-stream"])]
    result = _run(args, fresh_requests)
    assert result.returncode == 0, result.stderr
    answer = _answer(fresh_requests, shape)
    assert answer.startswith("#")
    assert result.stdout == (answer if answer.endswith("\n") else answer + "\n").encode()
    assert result.stderr == b""


@pytest.mark.parametrize("shape", SHAPES)
def test_show_reasoning_writes_the_thinking_to_stderr_plainly(fresh_requests, shape):
    result = _run([f"Explain [[think=60 via={shape}]]", "--show-reasoning"], fresh_requests)
    assert result.returncode == 0, result.stderr
    record = fresh_requests.chat_requests()[-1]
    thought = (
        record.served_reasoning
        if shape.startswith("reasoning")
        else record.served_text.split("</think>")[0].removeprefix("<think>")
    )
    assert result.stderr.decode().strip() == thought.strip()
    assert b"\x1b" not in result.stderr  # not a terminal: plain text
    assert thought.strip().encode() not in result.stdout


def test_reasoning_show_setting_does_the_same(fresh_requests):
    result = _run(["Explain [[think=30]]"], fresh_requests, REASONING="show")
    assert fresh_requests.chat_requests()[-1].served_reasoning.strip() in result.stderr.decode()


def test_a_model_that_only_thinks_says_so_and_fails(fresh_requests):
    result = _run(["Think [[think=400]]", "--max-tokens", "50"], fresh_requests)
    assert result.returncode == 4
    assert result.stdout == b""
    err = result.stderr.decode()
    assert "spent all 50 output tokens thinking" in err and "MAX_OUTPUT_TOKENS" in err
    assert len(err.strip().splitlines()) == 1


def test_thinking_flags_reach_the_server(fresh_requests):
    result = _run(
        ["Hi [[think=30]]", "--thinking", "off", "--reasoning-effort", "medium"], fresh_requests
    )
    assert result.returncode == 0, result.stderr
    body = fresh_requests.chat_requests()[-1].body
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["reasoning_effort"] == "medium"


def test_a_bad_thinking_value_is_one_line(fresh_requests):
    result = _run(["Hi", "--thinking", "maybe"], fresh_requests)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "zorac-repl: --thinking: 'maybe' is not valid; expected one of auto, on, off."
    )


def test_ctrl_c_while_thinking_prints_no_answer_and_stops_the_server(fresh_requests):
    import signal
    import time

    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    process = subprocess.Popen(
        [zorac_command(), "Think [[think=3000 rate=200]]", "--show-reasoning"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    deadline = time.monotonic() + 20
    while not fresh_requests.chat_requests() or not (
        fresh_requests.chat_requests()[-1].served_reasoning
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # The client has the thinking when it writes it, on stderr (--show-reasoning).
    assert process.stderr is not None
    ready, _, _ = select.select([process.stderr], [], [], 20)
    assert ready and process.stderr.read1(1)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert out == b""  # nothing of the thinking, and no answer yet
    assert b"Response interrupted." in err
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5) and record.disconnected_before_done
