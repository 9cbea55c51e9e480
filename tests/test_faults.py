"""The fault matrix: every scenario of wire-protocol §11, interactive and piped.

Each case checks that the user sees one clear line naming the cause (the server's own
message where it sent one) and no traceback; that a partial answer stays on screen
marked as not kept; that the user's text comes back as the draft with no orphan turn
left behind; that pipe mode exits with the documented code; and that the next request
works. The dev server is told which fault to play by a directive in the message.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import free_port, zorac_command
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

_NO_FINISH = r"The server ended the answer without finishing it\."
_DROPPED = r"The server closed the connection in the middle of the answer\."
_STALLED = (
    r"Server stopped sending: no data for 1s\. If the model is just slow, "
    r"raise STALL_TIMEOUT\."
)
_INTERNAL = r"Server error: Internal server error"
_OVERFLOW = (
    r"The conversation is too long for the model's context "
    r"\(\d+ tokens sent, \d+ fit\): "
)


@dataclass(frozen=True)
class Case:
    fault: str
    line: str | None  # the error line (a regular expression); None: the answer completes
    exit_code: int
    partial: bool = False  # some of the answer arrives before the fault


CASES = [
    Case("keepalive", None, 0),
    Case("odd", None, 0),
    Case("crlf", None, 0),
    Case("split", None, 0),
    Case("batched", None, 0),
    Case("no-done", None, 0),
    Case("hold-open", None, 0),
    Case("delay:0.3", None, 0),
    Case("error-event", _INTERNAL, 4, True),
    Case("error-event:vllm-old", _INTERNAL, 4, True),
    Case("error-event:sglang", _INTERNAL, 4, True),
    Case("error-event:llamacpp", _INTERNAL, 4, True),
    Case("error-event:llamacpp-2025", _INTERNAL, 4, True),
    Case("error-event:ollama", _NO_FINISH, 3, True),
    Case("drop", _DROPPED, 3, True),
    Case("stall-mid", _STALLED, 3, True),
    Case("stall", _STALLED, 3),
    Case("status:400", r"Server error \(HTTP 400\): Bad request: simulated", 4),
    Case("status:401", r"The server rejected the API key \(HTTP 401\): set VLLM_API_KEY", 4),
    Case(
        "status:404",
        r"Server error \(HTTP 404\): The model `simulated` does not exist\. "
        r"Check --model or VLLM_MODEL\.",
        4,
    ),
    Case(
        "status:404:detail",
        r"The server has no such endpoint \(HTTP 404\): does "
        r"http://127\.0\.0\.1:\d+/v1 end in /v1\?",
        4,
    ),
    Case("status:500", r"Server error \(HTTP 500\): Internal server error", 4),
    Case("status:500:flat", r"Server error \(HTTP 500\): Internal server error", 4),
    Case("status:500:llamacpp", r"Server error \(HTTP 500\): Internal server error", 4),
    Case("status:500:ollama", r"Server error \(HTTP 500\): Internal server error", 4),
    Case("status:500:openai", r"Server error \(HTTP 500\): Internal server error", 4),
    Case(
        "status:503",
        r"Server error \(HTTP 503\): The engine is restarting; try again "
        r"shortly\.",
        4,
    ),
    Case("overflow", _OVERFLOW + r"This model's maximum context length is 32768", 4),
    Case("overflow:flat", _OVERFLOW + r"This model's maximum context length is 32768", 4),
    Case("overflow:llamacpp", _OVERFLOW + r"request \(40000 tokens\) exceeds the available", 4),
    Case("overflow:openai", _OVERFLOW + r"This model's maximum context length is 8192", 4),
    Case(
        "lmstudio",
        r"Server error: Unexpected endpoint or method\. "
        r"\(POST /v1/chat/completions\)",
        4,
    ),
]


def _ids(case: Case) -> str:
    return case.fault


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_piped(case, fresh_requests):
    message = f"question [[tokens=60 fault={case.fault}]]"
    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url, "STALL_TIMEOUT": "1"}
    result = subprocess.run(
        [zorac_command(), message],
        capture_output=True,
        env=environment,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    stderr = result.stderr.decode()
    # Never sent twice: the SDK's retries are off and nothing is re-sent after a failure.
    assert len(fresh_requests.chat_requests()) == 1
    assert result.returncode == case.exit_code, stderr
    assert "Traceback" not in stderr
    served = fresh_requests.chat_requests()[-1].served_text
    if case.line is None:
        assert stderr == ""
        assert result.stdout.decode().rstrip("\n") == served.rstrip("\n")
        return
    lines = stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(r"zorac-repl: " + case.line + r".*", lines[0]), stderr
    if case.partial:
        assert served and result.stdout.decode().startswith(served[:20])
    # The server is left well: the next request is answered (the client's part in a
    # following request is the interactive matrix's to check).
    body = json.dumps(
        {
            "model": fresh_requests.model,
            "stream": False,
            "messages": [{"role": "user", "content": "next [[tokens=5]]"}],
        }
    )
    request = urllib.request.Request(
        f"{fresh_requests.base_url}/chat/completions",
        body.encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert json.loads(answer.read())["choices"][0]["finish_reason"] == "stop"


class _ReplPool:
    """REPLs for the matrix, each case at an empty prompt of a cleared conversation.

    A case takes a REPL and gives it back only when it passed: a REPL is reused only from
    a clean ending (last answer complete, prompt empty, ``/clear`` confirmed), and a case
    that failed leaves its REPL to be closed, so the next case starts a new one.
    """

    def __init__(self, server: DevServer, home: Path) -> None:
        self._server = server
        self._home = home
        self._idle: Terminal | None = None
        self._started: list[Terminal] = []

    def take(self) -> Terminal:
        if self._idle is not None:
            term, self._idle = self._idle, None
            return term
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("ZORAC_", "VLLM_", "OPENAI_"))
        }
        home = self._home / f"repl-{len(self._started)}"
        environment.update(
            {
                "VLLM_BASE_URL": self._server.base_url,
                "STALL_TIMEOUT": "1",
                "SYSTEM_PROMPT": "S",
                "ZORAC_DATA_DIR": str(home / "data"),
                "ZORAC_CONFIG_DIR": str(home / "config"),
            }
        )
        term = Terminal(zorac_command(), columns=220, rows=50, env=environment)
        self._started.append(term)
        term.wait_for(r"Qwen/Qwen3-8B \|")
        return term

    def give_back(self, term: Terminal) -> None:
        cleared = len(re.findall(r"Cleared\. ", term.scrollback()))
        term.enter("/clear")
        term.wait_count(r"Cleared\. ", cleared + 1)
        self._idle = term

    def close(self) -> None:
        for term in self._started:
            term.close()


@pytest.fixture(scope="module")
def repls(server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_ReplPool]:
    pool = _ReplPool(server, tmp_path_factory.mktemp("matrix"))
    yield pool
    pool.close()


_STATS = r"Stats: \d+ tokens in"
_DONE = r"(Stats: \d+ tokens in|The partial answer above was not kept|Server|server|too long)"


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_interactive(case, repls, server):
    term = repls.take()
    text = f"question [[tokens=60 fault={case.fault}]]"
    before = len(server.chat_requests())
    stats_before = len(re.findall(_STATS, term.scrollback()))
    term.enter(text)
    if case.line is None:
        term.wait_count(_STATS, stats_before + 1)
    else:
        term.wait_count(re.escape("> " + text), 2, timeout=20)  # sent, then back as the draft
        screen = term.scrollback()
        tail = screen[screen.index("> " + text) :]
        assert re.search(case.line, tail), tail
        assert len(re.findall(case.line, tail)) == 1
        assert ("The partial answer above was not kept." in tail) is case.partial
        assert "Traceback" not in screen
        term.ctrl("c")  # drop the draft
    # The next request carries no orphan: the failed question was taken back out.
    stats_before = len(re.findall(_STATS, term.scrollback()))
    term.enter("next [[tokens=5]]")
    term.wait_count(_STATS, stats_before + 1)
    sent = server.chat_requests()[-1].messages
    assert len(server.chat_requests()) > before
    roles = [m["role"] for m in sent]
    assert all(not (a == b == "user") for a, b in itertools.pairwise(roles))
    assert text not in [m["content"] for m in sent] or case.line is None
    repls.give_back(term)


def test_a_refused_connection_is_retried_briefly_before_anything_is_sent():
    """A server that comes up a moment after the request (a restart) still gets it, once."""
    import asyncio
    import threading

    from zorac_repl.events import Finished
    from zorac_repl.server.client import ChatClient, ChatRequest

    port = free_port()
    late = DevServer(port=port)
    client = ChatClient(f"http://127.0.0.1:{port}/v1")
    client.warm_up()

    async def ask() -> list[object]:
        threading.Timer(0.05, late.start).start()  # refused at first, listening by the retry
        try:
            return [
                event
                async for event in client.stream(
                    [{"role": "user", "content": "hi [[tokens=5]]"}],
                    ChatRequest(late.model, 0.1, 50),
                )
            ]
        finally:
            await client.aclose()

    try:
        events = asyncio.run(ask())
        assert any(isinstance(event, Finished) for event in events)
        assert len(late.chat_requests()) == 1
    finally:
        late.stop()


def test_an_unreachable_server_is_one_line_and_exit_3():
    port = free_port()
    environment = {**os.environ, "VLLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "VLLM_MODEL": "m"}
    result = subprocess.run(
        [zorac_command(), "hello"],
        capture_output=True,
        env=environment,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 3
    assert result.stderr.decode().splitlines() == [
        f"zorac-repl: Cannot reach http://127.0.0.1:{port}/v1: is vLLM running? Start it with "
        "'vllm serve MODEL', pass --base-url, or try --demo."
    ]
