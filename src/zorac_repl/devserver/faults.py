"""The dev server's fault switches: every scenario of wire-protocol §11 (items 4–9).

A fault is named per request, with ``[[fault=NAME]]`` in the last user message or
``DevServer.inject(NAME)``, so one server run covers the whole matrix. Names:

Before the answer (HTTP level)
    ``status:N[:SHAPE]``  HTTP N with an error body; SHAPE is ``vllm`` (nested, the
                          default), ``flat`` (vLLM ≤ 0.10, SGLang), ``llamacpp``, ``ollama``,
                          ``openai``, ``auth`` (vLLM's 401 string) or ``detail`` (Starlette)
    ``overflow[:SHAPE]``  HTTP 400 context overflow in the shape of vllm, flat, llamacpp,
                          openai
    ``lmstudio``          HTTP 200 whose body is a JSON error (LM Studio, unknown path)
    ``stall``             no response at all, not even headers, until the client hangs up
    ``delay:S``           headers only after S seconds, then a normal answer

In the middle of the answer (after about half of it)
    ``drop``              the connection closes without the terminating chunk
    ``stall-mid``         the server stops sending and holds the connection open
    ``error-event[:SHAPE]`` an error event: ``vllm`` (0.33, then ``[DONE]``), ``vllm-old``
                          and ``sglang`` (flat, spaced JSON, then ``[DONE]``), ``llamacpp``
                          (no ``[DONE]``), ``llamacpp-2025`` (an ``error:`` line, then
                          ``[DONE]``), ``ollama`` (an empty chunk, then the body ends)

Complete answers with odd framing
    ``keepalive``  SSE comments before the first chunk and between chunks
    ``odd``        ``delta: {}``, a missing delta, ``choices: []`` mid-stream, extra keys,
                   the role repeated on every chunk
    ``crlf``       CRLF line endings
    ``split``      every event cut across several writes
    ``batched``    every event in one write
    ``no-done``    the finish and usage chunks, then the body ends without ``[DONE]``
    ``hold-open``  ``[DONE]``, then the connection is held open without ending the body
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from zorac_repl.devserver.wire import ChunkWriter, error_body, sse_event

__all__ = ["STREAM_FAULTS", "error_response", "is_http_fault", "stream_events"]

STREAM_FAULTS = frozenset(
    {
        "drop",
        "stall-mid",
        "keepalive",
        "odd",
        "crlf",
        "split",
        "batched",
        "no-done",
        "hold-open",
        "error-event",
    }
)

_OVERFLOW = (
    "This model's maximum context length is 32768 tokens. However, your prompt "
    "contains 40000 input tokens, which exceeds this limit even without any output "
    "tokens. Please reduce the length of the input prompt."
)


def is_http_fault(fault: str) -> bool:
    """True for faults answered with an HTTP response instead of a stream."""
    return fault.split(":", 1)[0] in ("status", "overflow", "lmstudio")


def _shaped(message: str, code: int, shape: str, error_type: str) -> bytes:
    if shape == "flat":
        return json.dumps(
            {"object": "error", "message": message, "type": error_type, "param": None, "code": code}
        ).encode()
    if shape == "llamacpp":
        kind = {
            400: "invalid_request_error",
            401: "authentication_error",
            404: "not_found_error",
            503: "unavailable_error",
        }.get(code, "server_error")
        return json.dumps({"error": {"code": code, "message": message, "type": kind}}).encode()
    if shape == "ollama":
        return json.dumps(
            {"error": {"message": message, "type": "api_error", "param": None, "code": None}}
        ).encode()
    if shape == "openai":
        return json.dumps(
            {
                "error": {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "server_error",
                }
            }
        ).encode()
    if shape == "auth":
        return b'{"error":"Unauthorized"}'
    if shape == "detail":
        return b'{"detail":"Not Found"}'
    return error_body(message, error_type, code)


def error_response(fault: str) -> tuple[int, bytes]:
    """The status and body an HTTP-level fault answers with."""
    kind, _, rest = fault.partition(":")
    if kind == "lmstudio":
        return 200, b'{"error":"Unexpected endpoint or method. (POST /v1/chat/completions)"}'
    if kind == "overflow":
        shape = rest or "vllm"
        if shape == "llamacpp":
            return 400, json.dumps(
                {
                    "error": {
                        "code": 400,
                        "message": "request (40000 tokens) exceeds the available context "
                        "size (32768 tokens), try increasing it",
                        "type": "exceed_context_size_error",
                        "n_prompt_tokens": 40000,
                        "n_ctx": 32768,
                    }
                }
            ).encode()
        if shape == "openai":
            return 400, json.dumps(
                {
                    "error": {
                        "message": (
                            "This model's maximum context length is 8192 tokens. However, "
                            "your messages resulted in 8227 tokens. Please reduce the "
                            "length of the messages."
                        ),
                        "type": "invalid_request_error",
                        "param": "messages",
                        "code": "context_length_exceeded",
                    }
                }
            ).encode()
        return 400, _shaped(_OVERFLOW, 400, shape, "BadRequestError")
    code_text, _, shape = rest.partition(":")
    code = int(code_text)
    messages = {
        400: ("Bad request: simulated", "BadRequestError"),
        401: ("Unauthorized", "Unauthorized"),
        404: ("The model `simulated` does not exist.", "NotFoundError"),
        500: ("Internal server error", "InternalServerError"),
        503: ("The engine is restarting; try again shortly.", "ServiceUnavailableError"),
    }
    message, error_type = messages.get(code, (f"Simulated failure (HTTP {code}).", "Error"))
    return code, _shaped(message, code, shape or ("auth" if code == 401 else "vllm"), error_type)


def _error_event(shape: str) -> tuple[bytes, bool]:
    """The error event of ``shape`` and whether ``[DONE]`` follows it."""
    nested = {
        "message": "Internal server error",
        "type": "InternalServerError",
        "param": None,
        "code": 500,
    }
    if shape in ("vllm-old", "sglang"):
        flat = {"object": "error", **nested}
        return sse_event(json.dumps({"error": flat})), True
    if shape == "llamacpp":
        return sse_event(
            json.dumps(
                {
                    "error": {
                        "code": 500,
                        "message": "Internal server error",
                        "type": "server_error",
                    }
                },
                separators=(",", ":"),
            )
        ), False
    if shape == "llamacpp-2025":
        line = json.dumps(
            {"code": 500, "message": "Internal server error", "type": "server_error"},
            separators=(",", ":"),
        )
        return f"error: {line}\n\n".encode(), True
    return sse_event(json.dumps({"error": nested}, separators=(",", ":"))), True


def _odd(event: bytes, number: int) -> list[bytes]:
    """Variations a tolerant client must accept, around one content event."""
    chunk = json.loads(event[len(b"data: ") :])
    out = []
    if number % 4 == 0:
        out.append(
            sse_event(
                json.dumps({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": None}]})
            )
        )
    if number % 4 == 1:
        out.append(
            sse_event(json.dumps({**chunk, "choices": [{"index": 0, "finish_reason": None}]}))
        )
    if number % 4 == 2:
        out.append(sse_event(json.dumps({**chunk, "choices": []})))
    chunk["choices"][0]["delta"]["role"] = "assistant"
    chunk["timings"] = {"predicted_n": number, "predicted_ms": 1.5}
    chunk["obfuscation"] = "x" * (number % 7)
    out.append(sse_event(json.dumps(chunk)))
    return out


Send = Callable[[list[bytes]], Awaitable[None]]


async def stream_events(
    fault: str,
    chunks: ChunkWriter,
    pieces: list[str],
    reason: str,
    prompt_tokens: int | None,
    send: Send,
    wait_for_hangup: Callable[[], Awaitable[None]],
    on_sent: Callable[[str], None],
) -> None:
    """Send a streamed answer shaped by ``fault``, telling ``on_sent`` the text sent.

    ``send`` writes HTTP chunks (one per list item); it raises when the client has gone.
    Returns after the last event; ending the body (or not, for ``drop`` and ``hold-open``)
    is left to the caller.
    """
    kind, _, shape = fault.partition(":")
    half = len(pieces) // 2 if kind in ("drop", "stall-mid", "error-event") else len(pieces)
    events = [chunks.role()] + [chunks.content(piece) for piece in pieces[:half]]
    sent_text = "".join(pieces[:half])
    if kind == "keepalive":
        await send([b": keep-alive\n\n", b":\n\n"])
        events = [part for event in events for part in (event, b": keep-alive\n\n")]
    elif kind == "odd":
        events = [chunks.role()] + [
            part
            for number, piece in enumerate(pieces)
            for part in _odd(chunks.content(piece), number)
        ]
    if kind in ("drop", "stall-mid", "error-event"):
        await send(events)
        on_sent(sent_text)
        if kind == "stall-mid":
            await wait_for_hangup()
        elif kind == "error-event":
            if shape == "ollama":
                await send([chunks.content("")])
            else:
                event, done_follows = _error_event(shape or "vllm")
                await send([event, b"data: [DONE]\n\n"] if done_follows else [event])
        return
    tail = [chunks.finish(reason, "", with_fingerprint=prompt_tokens is None)]
    if prompt_tokens is not None:
        tail.append(chunks.usage(prompt_tokens, len(pieces)))
    if kind != "no-done":
        tail.append(b"data: [DONE]\n\n")
    events += tail
    if kind == "crlf":
        events = [event.replace(b"\n", b"\r\n") for event in events]
    if kind == "split":
        for event in events:
            third = max(1, len(event) // 3)
            for start in range(0, len(event), third):
                await send([event[start : start + third]])
                await asyncio.sleep(0)
    elif kind == "batched":
        await send([b"".join(events)])
    else:
        await send(events)
    on_sent(sent_text)
