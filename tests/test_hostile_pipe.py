"""One-shot mode against hostile servers, files and inputs, through real pipes and a
pseudo-terminal: bounded, one line, nothing obeyed (issue 25)."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pexpect

from tests.conftest import zorac_command
from tests.raw_server import models, raw_server, reply

_ESCAPES = (b"\x1b[2J", b"\x1b]52;", b"\x1b]0;", b"\x07")


def _run(args: list[str], base_url: str | None = None, stdin: bytes = b"", **env: str):
    environment = {**os.environ, **env}
    if base_url is not None:
        environment["VLLM_BASE_URL"] = base_url
    return subprocess.run(
        [zorac_command(), *args], input=stdin, capture_output=True, env=environment, timeout=60
    )


def test_a_gzip_bomb_exits_5_with_one_line():
    bomb = gzip.compress(b"data: " + b"0" * (20 * 1024 * 1024), compresslevel=9)
    chat = reply(200, bomb, "text/event-stream", content_encoding="gzip")
    with raw_server(chat=chat, models=models()) as server:
        result = _run(["hi"], server.base_url, MAX_EVENT_BYTES="1M")
    assert result.returncode == 5, result.stderr
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "MAX_EVENT_BYTES (1M)" in lines[0]


def test_stdin_past_its_limit_is_refused_with_one_line():
    result = _run([], None, stdin=b"word " * (4 * 1024 * 1024))  # 20 MB
    assert result.returncode == 2
    assert result.stderr.decode().strip().startswith("zorac-repl: stdin holds more than 16 MB")


def test_an_error_body_that_writes_to_the_terminal_is_shown_not_obeyed():
    hostile = "bad \x1b]52;c;cm0gLXJmIH4=\x07 \x1b]0;pwned\x07 \x1b[2J\x1b[H request"
    body = json.dumps({"error": {"message": hostile}}).encode()
    with raw_server(chat=reply(400, body), models=models()) as server:
        environment = {**os.environ, "VLLM_BASE_URL": server.base_url}
        child = pexpect.spawn(zorac_command(), ["hi"], env=environment, timeout=30)
        child.expect(pexpect.EOF)
    shown = child.before
    assert "␛]52;c;".encode() in shown and b"request" in shown
    for sequence in _ESCAPES:
        assert sequence not in shown


def test_a_config_key_with_an_escape_is_shown_not_obeyed(tmp_path: Path):
    config = Path(os.environ["ZORAC_CONFIG_DIR"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(json.dumps({"\x1b]0;pwned\x07\x1b[2J": "x"}))
    result = _run(["hi"], "http://127.0.0.1:9/v1")
    assert b"\x1b" not in result.stderr and b"\x07" not in result.stderr
    assert "␛]0;pwned".encode() in result.stderr


def test_an_authorization_header_as_a_flag_is_warned_about():
    with raw_server(chat=reply(503, b'{"error": "busy"}'), models=models()) as server:
        result = _run(["-H", "Authorization: Bearer abc", "hi"], server.base_url)
    stderr = result.stderr.decode()
    assert "-H Authorization is visible to other users in the process list" in stderr
    assert "abc" not in stderr
