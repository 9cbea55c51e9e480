"""Each server's real context window, found as a new user's client would find it."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import zorac_command
from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.chat.budget import Budget
from zorac_repl.commands.wording import origin_text
from zorac_repl.conversation.history import Conversation
from zorac_repl.devserver import DevServer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings

WINDOW = 8192
# flavor -> (the kind and version said, where the window came from)
ROWS = {
    "vllm": ("vLLM 0.33.0", "/v1/models"),
    "sglang": ("SGLang", "/v1/models"),
    "llamacpp": ("llama.cpp b6000", "/v1/models meta.n_ctx"),
    "llamacpp-old": ("llama.cpp b6000", "/props"),
    "lmstudio": ("LM Studio", "/api/v1/models"),
    "lmstudio-0.3": ("LM Studio", "/api/v0/models"),
    "tgi": ("TGI 3.3.4", "/info"),
    "litellm": ("LiteLLM proxy", "/v1/model/info"),
}


@pytest.fixture(scope="module")
def flavored() -> Iterator[dict[str, DevServer]]:
    servers = {
        flavor: DevServer(model="qwen3-8b", max_model_len=WINDOW, flavor=flavor).start()
        for flavor in [*ROWS, "ollama", "litellm-null"]
    }
    yield servers
    for server in servers.values():
        server.stop()


def _link(server: DevServer, tmp_path: Path, **values: object) -> tuple[ServerLink, Budget]:
    settings = LiveSettings(
        Settings(base_url=server.base_url, **values),  # type: ignore[arg-type]
        tmp_path / "config.json",
        {},
    )
    link = ServerLink(settings)
    return link, Budget(settings, link, Conversation())


@pytest.mark.parametrize("flavor", list(ROWS))
def test_each_server_kind_window_and_source(flavored, tmp_path, flavor):
    link, budget = _link(flavored[flavor], tmp_path)

    async def run() -> None:
        try:
            await link.detect()
        finally:
            await link.close()

    asyncio.run(run())
    name, source = ROWS[flavor]
    assert link.server is not None
    assert (link.server.name, link.server.window, link.server.source) == (name, WINDOW, source)
    assert budget.limit == WINDOW - 4000
    assert origin_text(budget.origin()) == (
        f" (context {WINDOW} from {name} {source} less 4000 for the answer)"
    )
    assert link.described() == (
        f"{name} at {flavored[flavor].base_url}: model qwen3-8b, "
        f"context {WINDOW} tokens (from {source})"
    )


def test_a_user_budget_always_wins(flavored, tmp_path):
    link, budget = _link(
        flavored["llamacpp"], tmp_path, max_input_tokens=3000, sources={"MAX_INPUT_TOKENS": "env"}
    )

    async def run() -> None:
        await link.detect()
        await link.close()

    asyncio.run(run())
    assert budget.limit == 3000 and budget.origin() is None


def test_litellm_null_is_said_not_trusted(flavored, tmp_path):
    link, budget = _link(flavored["litellm-null"], tmp_path)

    async def run() -> None:
        await link.detect()
        await link.close()

    asyncio.run(run())
    assert link.server is not None and link.server.window is None
    assert "no max_input_tokens for this model: set MAX_INPUT_TOKENS" in link.described()
    assert budget.limit == 12000  # the default, not a null read as a number


def test_ollama_window_is_read_once_the_model_is_loaded(flavored, tmp_path):
    server = flavored["ollama"]
    link, budget = _link(server, tmp_path, max_output_tokens=6000)

    async def run() -> None:
        await link.detect()
        assert link.server is not None and link.server.name == "Ollama 0.12.6"
        assert link.max_model_len is None and "after the first answer" in link.described()
        server._loaded.add("qwen3-8b")  # as a first chat request does
        assert await link.recheck_window() == WINDOW
        await link.close()

    asyncio.run(run())
    # 6000 output tokens would fill most of the window: a quarter is kept for the answer.
    assert budget.limit == WINDOW - WINDOW // 4


def _start(terminal: type[Terminal], server: DevServer, *args: str) -> Terminal:
    return start_repl(terminal, server, *args, model=None)


def test_the_start_up_line_and_tokens_name_the_source(terminal, flavored):
    term = _start(terminal, flavored["llamacpp-old"])
    term.wait_flat(
        r"Connected to llama\.cpp b6000 at http://127\.0\.0\.1:\d+/v1: model "
        r"qwen3-8b, context\s+8192 tokens \(from /props\)\.",
    )
    term.enter("/tokens")
    term.wait_flat(
        r"Limit:\s+MAX_INPUT_TOKENS from server \(context 8192 from llama\.cpp b6000 "
        r"/props less\s+4000 for the answer\)",
    )
    term.enter("/config get MAX_INPUT_TOKENS")
    term.wait_flat(
        r"MAX_INPUT_TOKENS = 4192 \(context 8192 from llama\.cpp b6000 /props less "
        r"4000 for\s+the answer\)\s+\[server\]",
    )
    term.enter("/reconnect")
    term.wait_flat(r"Connected to llama\.cpp b6000 at .* \(from /props\) \(\d+ ms\)\.")


def test_ollama_warns_before_the_server_would_truncate(make_server, terminal, tmp_path):
    server = make_server(model="qwen3:8b", max_model_len=1024, flavor="ollama")
    term = _start(terminal, server, "--max-tokens", "200")
    term.wait_flat(r"Connected to Ollama 0\.12\.6 .* window not known: the model is not")
    term.enter("hello [[tokens=20]]")
    term.wait_flat(
        r"Ollama runs qwen3:8b with a 1024-token window; the budget is now "
        r"824\s+tokens\.",
    )
    for number in range(8):
        term.enter(f"question {number} " + "word " * 40 + "[[tokens=30]]")
        term.wait_count(r"Stats: ", number + 2)
        if "older messages will be dropped" in term.scrollback():
            break
    flat = " ".join(term.scrollback().split())
    assert (
        "Ollama is running this model with a 1024-token window; older messages will "
        "be dropped by the server. Raise it with OLLAMA_CONTEXT_LENGTH or a Modelfile "
        "(PARAMETER num_ctx)."
    ) in flat
    assert flat.count("older messages will be dropped") == 1
    assert not any(record.truncated for record in server.chat_requests())


@pytest.mark.parametrize("flavor", ["llamacpp", "vllm", "sglang"])
def test_overflow_figures_are_said_and_the_budget_the_user_set_still_wins(
    make_server, terminal, flavor
):
    server = make_server(model="m", max_model_len=2048, flavor=flavor)
    # The user's budget is too big for the server: the error's figures say so, and the
    # next budget is still the user's (a guessed one would be corrected: the next test).
    term = _start(terminal, server, "--max-tokens", "100")
    term.wait_for(r"\bm \|")
    term.enter("/config set MAX_INPUT_TOKENS 50000")
    term.wait_for(r"MAX_INPUT_TOKENS = 50000")
    term.paste("big " + "word " * 2500)
    term.enter()
    found = term.wait_flat(
        r"too long for the model's context \((\d+) tokens sent, "
        r"2048 fit\)",
    )
    assert int(found.group(1)) > 2048
    term.ctrl("u")  # the message is back in the input: clear it first
    term.enter("/tokens")
    term.wait_flat(r"Tokens: \d+ of 50000 .* Limit: MAX_INPUT_TOKENS from file(?! \()")


def test_one_shot_through_a_flavor(flavored):
    result = subprocess.run(
        [zorac_command(), "hi [[tokens=5]]"],
        capture_output=True,
        text=True,
        timeout=60,
        input="",
        env={**os.environ, "VLLM_BASE_URL": flavored["tgi"].base_url},
    )
    assert result.returncode == 0, result.stderr


def test_an_overflow_sets_the_budget_a_guess_had_set(make_server, terminal):
    server = make_server(model="m", max_model_len=2048, flavor="litellm-null")
    term = _start(terminal, server, "--max-tokens", "100")
    term.wait_flat(r"no max_input_tokens for this model")
    term.paste("big " + "word " * 2500)
    term.enter()
    term.wait_flat(r"too long for the model's context \(\d+ tokens sent, 2048 fit\)")
    term.ctrl("u")  # the message is back in the input: clear it first
    term.enter("/tokens")
    term.wait_flat(
        r"Tokens: \d+ of 1948 .* Limit: MAX_INPUT_TOKENS from server \(context "
        r"2048 from LiteLLM proxy's overflow error less 100 for the answer\)",
    )
