"""Tool calls as each server streams them, and each server's refusal of ``tools``.

A request that carries ``tools`` and whose last user message says ``[[call=NAME]]`` gets
the model's call to that tool: ``call=a+b`` calls two at once, ``call=a,b`` calls ``a``,
then ``b`` once ``a``'s result is back, then answers with what the results said;
``args={"path":"x"}`` (JSON without spaces or square brackets) are the arguments. The shapes follow
wire-protocol §15.2:

- ``vllm`` (and the others): each call's ``id`` and ``name`` first, then its arguments
  in fragments, then ``finish_reason: tool_calls``;
- ``llamacpp``: the same, two calls' fragments interleaved;
- ``ollama``: each call whole in one chunk, then a separate finish chunk.

``finish=stop`` ends with ``stop`` instead, as some servers do. A server started with
``tools=False`` refuses as its kind does (§15.1): vLLM's 400 naming its two flags,
Ollama's 400 for a model without the capability, and llama.cpp without Jinja, which
writes the call as answer text.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from zorac_repl.devserver.wire import error_body, sse_event

__all__ = [
    "calls_due",
    "tool_call_events",
    "tool_results",
    "tools_refusal",
    "untemplated_call_text",
    "whole_tool_calls",
]

VLLM_NO_TOOLS = (
    '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
)


def calls_due(messages: list[dict[str, Any]], directives: dict[str, str]) -> list[str]:
    """The tools the model calls now: the round after as many as have been answered."""
    plan = directives.get("call", "")
    if not plan:
        return []
    rounds = [step.split("+") for step in plan.split(",") if step]
    answered = 0
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "assistant" and message.get("tool_calls"):
            answered += 1
    return rounds[answered] if answered < len(rounds) else []


def tools_refusal(flavor: str, model: str) -> tuple[int, bytes] | None:
    """How a server not set up for tools refuses a request that carries them; ``None``
    for llama.cpp, which answers with the call as text instead."""
    if flavor == "ollama":
        return 400, json.dumps({"error": f"{model} does not support tools"}).encode()
    if flavor.startswith("llamacpp"):
        return None
    return 400, error_body(VLLM_NO_TOOLS, "BadRequestError", 400)


def untemplated_call_text(names: list[str], arguments: str) -> str:
    """What a model's tool call looks like when llama.cpp has no Jinja template: text."""
    return "".join(
        f'<tool_call>\n{{"name": "{name}", "arguments": {arguments}}}\n</tool_call>'
        for name in names
    )


def _chunk(head: str, delta: dict[str, Any], reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
    return sse_event(head + json.dumps([choice], separators=(",", ":")) + "}")


def tool_call_events(
    head: str, flavor: str, names: list[str], arguments: str, finish: str = "tool_calls"
) -> list[bytes]:
    """The SSE events of a message that calls ``names``, in ``flavor``'s shape; ``head``
    is the chunk's JSON up to its ``choices`` (``ChunkWriter``)."""
    ids = [f"call_{secrets.token_hex(6)}" for _ in names]
    events: list[bytes] = []
    if flavor == "ollama":
        for index, (call_id, name) in enumerate(zip(ids, names, strict=True)):
            call = {
                "id": call_id,
                "index": index,
                "type": "function",
                "function": {"name": name, "arguments": arguments},
            }
            events.append(_chunk(head, {"role": "assistant", "content": "", "tool_calls": [call]}))
        events.append(_chunk(head, {"role": "assistant", "content": ""}, finish))
        return events
    for index, (call_id, name) in enumerate(zip(ids, names, strict=True)):
        first = {
            "index": index,
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        events.append(_chunk(head, {"tool_calls": [first]}))
    third = max(1, len(arguments) // 3)
    pieces = [arguments[i : i + third] for i in range(0, len(arguments), third)]
    fragments = [
        (index, piece) for piece in pieces for index in range(len(names))
    ]  # llama.cpp interleaves: a piece of each call in turn
    if not flavor.startswith("llamacpp"):
        fragments.sort(key=lambda pair: pair[0])  # vLLM: one call's fragments, then the next
    for index, piece in fragments:
        events.append(
            _chunk(head, {"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
        )
    events.append(_chunk(head, {}, finish))
    return events


def tool_results(messages: list[dict[str, Any]]) -> list[str]:
    """What the tools said since the last user message, each as ``name: content``."""
    said: list[str] = []
    for message in reversed(messages):
        if message.get("role") == "user":
            break
        if message.get("role") == "tool":
            said.append(f"{message.get('tool_call_id')}: {message.get('content')}")
    return said[::-1]


def whole_tool_calls(model: str, names: list[str], arguments: str) -> bytes:
    """A non-streamed answer that calls ``names``."""
    calls = [
        {
            "id": f"call_{secrets.token_hex(6)}",
            "type": "function",
            "function": {"name": name, "arguments": arguments},
        }
        for name in names
    ]
    return json.dumps(
        {
            "id": f"chatcmpl-{secrets.token_hex(16)}",
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": None, "tool_calls": calls},
                    "finish_reason": "tool_calls",
                }
            ],
        }
    ).encode()
