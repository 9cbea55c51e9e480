"""ChatClient against the dev server: real HTTP, real SSE, the real openai package."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import free_port
from tests.helpers import client_for
from zorac_repl.errors import ConnectionFailed, ContextOverflow, ServerError
from zorac_repl.events import Finished, TextDelta, Usage
from zorac_repl.server.client import ChatClient, ChatRequest

MODEL = "Qwen/Qwen3-8B"


async def _collect(client: ChatClient, text: str, max_tokens: int = 4000) -> list[object]:
    events = []
    async for event in client.stream(
        [{"role": "user", "content": text}], ChatRequest(MODEL, 0.1, max_tokens)
    ):
        events.append(event)
    await client.aclose()
    return events


def test_stream_yields_the_served_text_usage_and_finish(fresh_requests):
    events = asyncio.run(_collect(ChatClient(fresh_requests.base_url), "Explain paged attention"))
    record = fresh_requests.chat_requests()[-1]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == record.served_text
    assert Finished("stop") in events
    usage = [e for e in events if isinstance(e, Usage)]
    assert usage and usage[-1].completion_tokens == sum(isinstance(e, TextDelta) for e in events)
    body = record.body or {}
    assert body["stream_options"] == {"include_usage": True}
    assert body["temperature"] == 0.1 and body["max_tokens"] == 4000


def test_length_finish_keeps_the_text_of_the_finish_chunk(fresh_requests):
    events = asyncio.run(_collect(ChatClient(fresh_requests.base_url), "hi", max_tokens=7))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == fresh_requests.chat_requests()[-1].served_text
    assert Finished("length") in events


def test_models_report_context_length(server):
    async def run() -> object:
        async with client_for(server) as client:
            return await client.detect_model()

    info = asyncio.run(run())
    assert (info.id, info.max_model_len) == (MODEL, server.max_model_len)


def test_non_streamed_completion(fresh_requests):
    async def run() -> object:
        async with client_for(fresh_requests) as client:
            return await client.complete(
                [{"role": "user", "content": "hello [[echo]]"}], ChatRequest(MODEL, 0.1, 100)
            )

    result = asyncio.run(run())
    assert result.text == "hello" and result.finish_reason == "stop"
    assert result.usage is not None and result.usage.completion_tokens == 1


def test_cancelling_mid_stream_closes_the_connection(fresh_requests):
    async def run() -> None:
        client = ChatClient(fresh_requests.base_url)
        seen = asyncio.Event()

        async def consume() -> None:
            async for event in client.stream(
                [{"role": "user", "content": "long [[tokens=3000 rate=200]]"}],
                ChatRequest(MODEL, 0.1, 4000),
            ):
                if isinstance(event, TextDelta):
                    seen.set()

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(seen.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await client.aclose()

    asyncio.run(run())
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5)
    assert record.disconnected_before_done and not record.done_sent


def _dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}/v1"


def test_unreachable_server_is_one_clear_line():
    url = _dead_url()
    with pytest.raises(ConnectionFailed) as caught:
        asyncio.run(_collect(ChatClient(url), "hi"))
    assert str(caught.value) == (
        f"Cannot reach {url}: is vLLM running? "
        "Start it with 'vllm serve MODEL', pass --base-url, or try --demo."
    )


def test_unknown_model_uses_the_servers_message(server):
    async def run() -> None:
        async with client_for(server) as client:
            async for _ in client.stream(
                [{"role": "user", "content": "x"}], ChatRequest("gpt-4", 0.1, 10)
            ):
                pass

    with pytest.raises(ServerError, match=r"HTTP 404\): The model `gpt-4` does not exist"):
        asyncio.run(run())


def test_prompt_longer_than_the_context_is_a_context_overflow(make_server):
    small = make_server(max_model_len=64)
    with pytest.raises(ContextOverflow, match="too long for the model's context") as caught:
        asyncio.run(_collect(ChatClient(small.base_url), "word " * 200, max_tokens=10))
    assert caught.value.status == 400


def test_wrong_api_key_says_how_to_fix_it(make_server):
    guarded = make_server(api_key="sk-right")
    with pytest.raises(ServerError, match=r"rejected the API key.*VLLM_API_KEY"):
        asyncio.run(_collect(ChatClient(guarded.base_url, "sk-wrong"), "hi"))
    events = asyncio.run(_collect(ChatClient(guarded.base_url, "sk-right"), "hi [[echo]]"))
    assert TextDelta("hi") in events


def test_base_url_without_v1_is_explained(server):
    url = server.base_url.removesuffix("/v1")
    with pytest.raises(ServerError, match=r"no such endpoint \(HTTP 404\): does .* end in /v1"):
        asyncio.run(_collect(ChatClient(url), "hi"))
