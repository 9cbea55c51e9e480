"""Tool calls streamed in each server's shape, gathered whole through the real client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import pytest

from tests.helpers import client_for
from zorac_repl.conversation.tool_calls import ToolCall, ToolCallGatherer
from zorac_repl.devserver import DevServer
from zorac_repl.errors import ServerError
from zorac_repl.events import ChatEvent, Finished, TextDelta, ToolCallDelta
from zorac_repl.server.client import ChatRequest

READ_FILE = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
    },
}
ARGS = '{"path":"README.md","lines":3}'


def _ask(server: DevServer, text: str, tools: bool = True) -> list[ChatEvent]:
    async def run() -> list[ChatEvent]:
        request = ChatRequest(server.model, 0.1, 100, tools=(READ_FILE,) if tools else ())
        async with client_for(server) as client:
            return [
                event async for event in client.stream([{"role": "user", "content": text}], request)
            ]

    return asyncio.run(run())


def _calls(events: list[ChatEvent]) -> tuple[ToolCall, ...]:
    gatherer = ToolCallGatherer()
    for event in events:
        if isinstance(event, ToolCallDelta):
            gatherer.add(event)
    return gatherer.calls()


@pytest.mark.parametrize("flavor", ["vllm", "llamacpp", "ollama"])
def test_parallel_calls_are_gathered_whole_in_every_shape(
    make_server: Callable[..., DevServer], flavor: str
) -> None:
    server = make_server(flavor=flavor)
    events = _ask(server, f"[[call=read_file+stat args={ARGS}]]")
    calls = _calls(events)
    assert [(call.name, json.loads(call.arguments)) for call in calls] == [
        ("read_file", json.loads(ARGS)),
        ("stat", json.loads(ARGS)),
    ]
    assert calls[0].id != calls[1].id
    assert Finished("tool_calls") in events
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    if flavor == "ollama":
        assert len(deltas) == 2  # whole calls
    else:
        assert len(deltas) > 4  # a name each, then argument fragments
    if flavor == "llamacpp":  # fragments of the two calls take turns
        order = [d.index for d in deltas if d.name is None]
        assert order[:4] == [0, 1, 0, 1]
    server_body = server.chat_requests()[-1].body
    assert server_body is not None
    assert server_body["tools"] == [READ_FILE]
    assert server_body["parallel_tool_calls"] is True


def test_calls_are_gathered_whatever_the_finish_reason(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    events = _ask(server, f"[[call=read_file args={ARGS} finish=stop]]")
    assert Finished("stop") in events
    assert [call.name for call in _calls(events)] == ["read_file"]


def test_vllm_not_started_for_tools_refuses_them_with_a_400(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(tools=False)
    with pytest.raises(ServerError) as refused:
        _ask(server, "[[call=read_file]]")
    assert "--enable-auto-tool-choice" in str(refused.value)
    assert refused.value.status == 400


def test_ollama_without_the_capability_refuses_tools(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(flavor="ollama", tools=False)
    with pytest.raises(ServerError, match="does not support tools"):
        _ask(server, "hello")


def test_llama_cpp_without_jinja_writes_the_call_as_text(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(flavor="llamacpp", tools=False)
    events = _ask(server, f"[[call=read_file args={ARGS}]]")
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text.startswith('<tool_call>\n{"name": "read_file", "arguments": {')
    assert _calls(events) == ()


def test_without_tools_nothing_is_sent_for_them_and_the_answer_is_text(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server(tools=False)
    events = _ask(server, "[[call=read_file]] hi", tools=False)
    assert _calls(events) == ()
    body = server.chat_requests()[-1].body
    assert body is not None and "tools" not in body


def test_text_and_reasoning_before_calls_in_one_answer_are_all_kept() -> None:
    from zorac_repl.events import ReasoningDelta
    from zorac_repl.server.sse import decode_chunk

    chunk = {
        "choices": [
            {
                "delta": {
                    "reasoning": "I should look.",
                    "content": "Let me check.",
                    "tool_calls": [
                        {"index": 0, "id": "c1", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                "finish_reason": None,
            }
        ]
    }
    events = list(decode_chunk(json.dumps(chunk)))
    assert events == [
        ReasoningDelta("I should look."),
        TextDelta("Let me check."),
        ToolCallDelta(0, "c1", "f", "{}"),
    ]
