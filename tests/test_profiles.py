"""Server profiles: chosen at start, switched live, each with its own server, model, key and
headers; refusals name what exists."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import zorac_command
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer


@pytest.fixture
def two_servers(tmp_path: Path) -> Iterator[tuple[DevServer, DevServer, Path]]:
    gpu = DevServer(model="Qwen/Qwen3-8B", api_key="gpu-key-123456").start()
    laptop = DevServer(model="qwen3:8b", max_model_len=4096, flavor="ollama").start()
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "config.json").write_text(
        json.dumps(
            {
                "default_profile": "gpu-box",
                "profiles": {
                    "gpu-box": {
                        "base_url": gpu.base_url,
                        "api_key_command": "echo gpu-key-123456",
                        "headers": {"X-Gate": "gate-secret-1"},
                        "temperature": 0.3,
                    },
                    "laptop-ollama": {
                        "base_url": laptop.base_url,
                        "model": "qwen3:8b",
                        "max_tokens": 500,
                        "headers": ["X-Gate: laptop-gate-2"],
                    },
                },
            }
        )
    )
    os.chmod(config / "config.json", 0o600)
    yield gpu, laptop, config
    gpu.stop()
    laptop.stop()


def _flat(term: Terminal) -> str:
    return " ".join(term.scrollback().split())


def test_profiles_switch_live_and_each_request_goes_to_its_own_server(terminal, two_servers):
    gpu, laptop, _ = two_servers
    term = terminal()  # default_profile: gpu-box
    term.wait_flat(r"Connected to vLLM 0\.33\.0 at " + re.escape(gpu.base_url))
    term.enter("hello [[tokens=5]]")
    term.wait_for(r"Stats: ")
    request = gpu.chat_requests()[-1]
    assert request.headers["authorization"] == "Bearer gpu-key-123456"
    assert request.headers["x-gate"] == "gate-secret-1"
    assert request.body is not None and request.body["temperature"] == 0.3
    term.enter("/profile")
    term.wait_flat(r"\* gpu-box\s+" + re.escape(gpu.base_url) + r"\s+vLLM 0\.33\.0")
    term.wait_flat(r"laptop-ollama\s+" + re.escape(laptop.base_url) + r"\s+not contacted yet")
    term.enter("/profile desktop")
    term.wait_flat(
        r"There is no profile 'desktop'; profiles: gpu-box, laptop-ollama\. "
        r"Nothing was changed\.",
    )
    term.type("/profile lap\t")
    term.wait_for(r"> /profile laptop-ollama")
    term.enter()
    term.wait_flat(
        r"Profile 'laptop-ollama' in use\. Connected to Ollama 0\.12\.6 at "
        + re.escape(laptop.base_url)
        + r": model qwen3:8b",
    )
    term.enter("and now? [[tokens=5]]")
    term.wait_count(r"Stats: ", 2)
    request = laptop.chat_requests()[-1]
    assert request.headers["x-gate"] == "laptop-gate-2"
    assert request.headers["authorization"] == "Bearer EMPTY"
    assert request.body is not None and request.body["model"] == "qwen3:8b"
    assert request.body["max_tokens"] == 500
    # The conversation stayed: the laptop got the earlier exchange too.
    assert [m["content"] for m in request.messages if m["role"] == "user"] == [
        "hello [[tokens=5]]",
        "and now? [[tokens=5]]",
    ]
    term.enter("/config get HEADERS")
    term.wait_flat(r"HEADERS = X-Gate: …-2 \[profile\]")
    assert "laptop-gate-2" not in term.scrollback()
    term.enter("/quit")
    term.close()
    # Saved sessions remember their profile; another one says so and changes nothing.
    term = terminal("-p", "gpu-box")
    term.wait_flat(
        r"It was made with the profile 'laptop-ollama' and this run uses "
        r"'gpu-box'; /profile laptop-ollama switches if you want\.",
    )


def test_profile_flag_and_environment_choose_and_refuse(two_servers):
    gpu, laptop, config = two_servers
    env = {**os.environ, "ZORAC_CONFIG_DIR": str(config)}
    result = subprocess.run(
        [zorac_command(), "-p", "laptop-ollama", "hi [[tokens=5]]"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 0, result.stderr
    assert laptop.chat_requests() and not gpu.chat_requests()
    result = subprocess.run(
        [zorac_command(), "hi [[tokens=5]]"],
        capture_output=True,
        env={**env, "ZORAC_PROFILE": "gpu-box"},
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 0, result.stderr
    assert gpu.chat_requests()
    result = subprocess.run(
        [zorac_command(), "-p", "nope", "hi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "zorac-repl: there is no profile 'nope'; profiles: gpu-box, laptop-ollama."
    )
    # A flag still beats the profile.
    result = subprocess.run(
        [
            zorac_command(),
            "-p",
            "gpu-box",
            "--base-url",
            laptop.base_url,
            "-m",
            "qwen3:8b",
            "hi [[tokens=5]]",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        input="",
    )
    assert result.returncode == 0, result.stderr
    assert len(laptop.chat_requests()) == 2
