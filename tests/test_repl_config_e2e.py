"""Commands and settings through the installed REPL: live changes, secrets, completion."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.conftest import free_port, zorac_command
from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

_STATS = r"Stats: \d+ tokens in"


def _start(terminal: type[Terminal], server: DevServer, *args: str, **env: str) -> Terminal:
    """The REPL pointed at ``server`` through the config file, so /config set can move it."""
    config = Path(os.environ["ZORAC_CONFIG_DIR"]) / "config.json"
    config.parent.mkdir(parents=True, exist_ok=True)
    if not config.exists():
        config.write_text(json.dumps({"VLLM_BASE_URL": server.base_url}))
        config.chmod(0o600)
    return start_repl(terminal, None, *args, env=env, columns=200, model=server.model)


def _ask(term: Terminal, server: DevServer, text: str) -> dict:
    before = len(server.chat_requests())
    term.enter(text.replace("\n", "\x1b\r"))  # Alt+Enter between lines
    term.wait_count(_STATS, len(re.findall(_STATS, term.scrollback())) + 1)
    assert len(server.chat_requests()) == before + 1
    return server.chat_requests()[-1].body or {}


def test_each_setting_change_reaches_the_very_next_request(terminal, fresh_requests):
    server = fresh_requests
    term = _start(terminal, server)
    body = _ask(term, server, "first [[tokens=5]]")
    assert body["temperature"] == 0.1 and body["max_tokens"] == 4000 and body["stream"]
    for line, shown in [
        ("/config set TEMPERATURE 0.9", "TEMPERATURE = 0.9"),
        ("/config set MAX_OUTPUT_TOKENS 77", "MAX_OUTPUT_TOKENS = 77"),
        ("/config set SYSTEM_PROMPT You are terse.", "SYSTEM_PROMPT = You are"),
        ("/config set STREAM off", "STREAM = false"),
    ]:
        term.enter(line)
        term.wait_for(re.escape(shown) + r".*\(saved, in effect now\)")
    body = _ask(term, server, "second [[tokens=5]]")
    assert body["temperature"] == 0.9 and body["max_tokens"] == 77
    assert body["stream"] is False
    assert body["messages"][0] == {"role": "system", "content": "You are terse."}
    saved = json.loads((Path(os.environ["ZORAC_CONFIG_DIR"]) / "config.json").read_text())
    assert saved["TEMPERATURE"] == "0.9" and saved["STREAM"] == "off"


def test_base_url_and_api_key_apply_at_once_and_the_key_stays_secret(
    make_server, terminal, fresh_requests
):
    locked = make_server(api_key="sk-secret-9f2c")
    term = _start(terminal, fresh_requests)
    term.enter(f"/config set VLLM_BASE_URL {locked.base_url}")
    term.wait_for(r"VLLM_BASE_URL = .*in effect now")
    term.enter("hello [[tokens=5]]")
    term.wait_for(r"rejected the API key \(HTTP 401\)")
    term.ctrl("c")  # drop the draft
    term.enter("/config set VLLM_API_KEY sk-secret-9f2c")
    term.wait_for(r"VLLM_API_KEY = …2c \(saved, in effect now\)")
    body = _ask(term, locked, "hello again [[tokens=5]]")
    assert body["model"] == locked.model
    term.enter("/config get VLLM_API_KEY")
    term.wait_count(r"…2c", 2)
    assert "sk-secret-9f2c" not in term.scrollback()
    term.ctrl("d")
    term.child.expect(r"$", timeout=5)
    history_path = Path(os.environ["ZORAC_DATA_DIR"]) / "history"
    history = history_path.read_text()
    assert "/config get VLLM_API_KEY" in history and "sk-secret" not in history
    assert oct(history_path.stat().st_mode & 0o777) == "0o600"
    config = Path(os.environ["ZORAC_CONFIG_DIR"]) / "config.json"
    assert oct(config.stat().st_mode & 0o777) == "0o600"


def test_model_theme_and_encoding_changes_apply(terminal, fresh_requests):
    server = fresh_requests
    term = _start(terminal, server)
    fence = "[[echo]] Code:\n```python\ndef f(x):\n    return x\n```"
    start = len(term.raw)
    _ask(term, server, fence)
    monokai = term.raw[start:]
    term.enter("/config set CODE_THEME friendly")
    term.wait_for(r"CODE_THEME = friendly")
    start = len(term.raw)
    _ask(term, server, fence)
    friendly = term.raw[start:]
    colours = re.compile(rb"\x1b\[[0-9;]*38;[0-9;]*m")
    assert set(colours.findall(monokai)) != set(colours.findall(friendly))
    term.enter("/config set TIKTOKEN_ENCODING o200k_base")
    term.wait_for(r"Token encoding o200k_base is not available offline")
    term.enter("/tokens")
    term.wait_for(r"estimated locally|counted by the server")
    term.enter("/config set VLLM_MODEL no-such-model")
    term.wait_for(r"VLLM_MODEL = no-such-model")
    term.enter("hi [[tokens=5]]")
    term.wait_for(r"The model `no-such-model` does not exist")


def test_environment_override_is_reported(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, TEMPERATURE="0.4")
    term.enter("/config set TEMPERATURE 1")
    term.wait_for(r"but \$TEMPERATURE sets it and still wins; it stays 0\.4")
    term.enter("/config list")
    term.wait_for(r"TEMPERATURE\s+\[env\]\s+0\.4")


def test_tab_completes_commands_and_keys(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.type("/reco\t")
    term.wait_for(r"> /reconnect")
    term.enter()
    term.wait_for(
        r"Connected to vLLM 0\.33\.0 at http://127\.0\.0\.1:\d+/v1: model "
        r"Qwen/Qwen3-8B, context\s+32768 tokens \(from /v1/models\) \(\d+ ms\)"
    )
    term.type("/config set TEMPER\t")
    term.wait_for(r"> /config set TEMPERATURE")


def test_reconnect_reports_a_server_that_is_down(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("/config set VLLM_BASE_URL http://127.0.0.1:9/v1")
    term.wait_for(r"in effect now")
    term.enter("/reconnect")
    term.wait_for(
        r"Cannot reach http://127\.0\.0\.1:9/v1: is vLLM running\? Start it with "
        r"'vllm serve MODEL', pass --base-url, or try --demo\."
    )
    term.enter("/help")
    term.wait_for(r"/summarize")  # commands still work


def test_help_flag_names_every_setting():
    result = subprocess.run(
        [zorac_command(), "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    from zorac_repl.settings.table import SETTINGS

    for spec in SETTINGS:
        assert spec.key in result.stdout
        if spec.flag:
            assert spec.flag in result.stdout
    assert "--version" in result.stdout and "NO_COLOR" in result.stdout
    # Values named as the README names them, not all "VALUE".
    for shown in ("--base-url URL", "--api-key-file PATH", "--max-tokens N", "--stall-timeout"):
        assert shown in result.stdout
    assert " VALUE" not in result.stdout.replace("'NAME: VALUE'", "")
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for spec in SETTINGS:
        if spec.flag:
            assert spec.flag in readme, f"the README's flag list lacks {spec.flag}"


def test_no_color_is_honoured(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, NO_COLOR="1")
    start = len(term.raw)
    _ask(term, fresh_requests, "[[echo]] # Title\n\n```python\nx = 1\n```")
    assert not re.search(rb"\x1b\[[0-9;]*3[0-9;]*m", term.raw[start:])


def test_a_server_that_comes_back_is_noticed(make_server, terminal):
    port = free_port()
    term = terminal(columns=200, env={"VLLM_BASE_URL": f"http://127.0.0.1:{port}/v1"})
    term.wait_for(r"Cannot reach http://127\.0\.0\.1:\d+/v1: is vLLM running\?")
    term.wait_for(r"server unreachable")
    make_server(port=port)  # the server comes up late
    term.wait_for(
        r"The server at http://127\.0\.0\.1:\d+/v1 is back \(model "
        r"Qwen/Qwen3-8B\)\.",
        timeout=20,
    )
    term.wait_for(r"Qwen/Qwen3-8B \|")
