"""Shared fixtures: a clean environment, one dev server per test session, a terminal harness."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.terminal import Terminal
from zorac_repl.devserver import DevServer, StreamOptions

_STRIPPED_PREFIXES = ("ZORAC_", "OPENAI_", "VLLM_")
_STRIPPED = {
    "NO_COLOR",
    "FORCE_COLOR",
    "TEMPERATURE",
    "MAX_OUTPUT_TOKENS",
    "MAX_INPUT_TOKENS",
    "STREAM",
    "CODE_THEME",
    "COLUMNS",
    "LINES",
    "REASONING",
    "THINKING",
    "REASONING_EFFORT",
    "SYSTEM_PROMPT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "VISUAL",
    "EDITOR",
    "TMUX",
}


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting of the developer's leaks in, and user files go to a temporary directory."""
    for name in list(os.environ):
        if name.startswith(_STRIPPED_PREFIXES) or name in _STRIPPED:
            monkeypatch.delenv(name)
    monkeypatch.setenv("ZORAC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZORAC_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(scope="session")
def server() -> Iterator[DevServer]:
    """The dev server, sending as fast as it can unless a message asks otherwise."""
    running = DevServer(
        options=StreamOptions(rate=0.0), other_models={"Qwen/Qwen3-0.6B": 8192}
    ).start()
    yield running
    running.stop()


@pytest.fixture
def make_server() -> Iterator[Callable[..., DevServer]]:
    """Start dev servers of one test's own (``make_server(flavor="ollama")``); each is
    stopped when the test ends, passed or not."""
    started: list[DevServer] = []

    def make(**options: Any) -> DevServer:
        running = DevServer(**options).start()
        started.append(running)
        return running

    yield make
    for running in started:
        running.stop()


@pytest.fixture
def fresh_requests(server: DevServer) -> DevServer:
    """The session's server with its request log emptied."""
    server.requests.clear()
    return server


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is down, or comes up later)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def zorac_command() -> str:
    """The installed ``zorac-repl`` of the interpreter running the tests."""
    found = shutil.which("zorac-repl", path=str(Path(sys.executable).parent))
    assert found, "zorac-repl is not installed next to this Python: pip install -e '.[test]'"
    return found


@pytest.fixture
def terminal() -> Iterator[type[Terminal]]:
    """Start the installed zorac-repl in an emulated terminal; closed after the test."""
    started: list[Terminal] = []

    class _Tracked(Terminal):
        def __init__(self, *args: str, **kwargs: object) -> None:
            super().__init__(zorac_command(), *args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    yield _Tracked
    for term in started:
        term.close()
