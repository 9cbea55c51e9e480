"""Server-sent events: raw response bytes to typed chat events, without the openai package.

The openai SDK builds a pydantic object for every chunk, which alone caps a client near
3,000 tokens/s; this parser does only what a chat client needs. It follows the robust rules
of wire-protocol §1: events end at a blank line (``\\n\\n``, ``\\r\\n\\r\\n`` or ``\\r\\r``),
``:`` comment lines are ignored, ``data:`` lines are joined, ``[DONE]`` ends the stream, and
unknown keys or ``null`` values anywhere are tolerated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from zorac_repl.errors import ServerError
from zorac_repl.events import (
    ChatEvent,
    Finished,
    ReasoningDelta,
    ServerTimings,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from zorac_repl.server.limits import BodyLimits

__all__ = [
    "DONE",
    "SSEDecoder",
    "decode_chunk",
    "error_message",
    "reasoning_tokens",
    "server_timings",
]

DONE = "[DONE]"


class SSEDecoder:
    """Turns a byte stream, cut anywhere, into the ``data`` payload of each event.

    Each byte is looked at a bounded number of times, so a huge line costs linear time,
    and no line or event may grow past ``max_event_bytes`` (``TooLarge`` instead): a server
    that never ends a line cannot take the memory.

    llama.cpp (mid-2025) sends errors as an ``error:`` field that SSE parsers would drop
    (wire-protocol §8.1); such a payload is returned as ``{"error": ...}`` JSON text so the
    caller reports it like any other error event.
    """

    def __init__(self, max_event_bytes: int = 4 * 1024**2) -> None:
        self._max = max_event_bytes
        self._pending = bytearray()  # the start of a line whose end has not come
        self._after_cr = False  # the last byte seen was \r: a \n next belongs to it
        self._data: list[str] = []
        self._data_size = 0

    def feed(self, chunk: bytes) -> list[str]:
        """Add bytes; return the data of every event they complete.

        Raises:
            TooLarge: a line or an event passed ``max_event_bytes``.
        """
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        if not chunk:
            return []
        self._after_cr = chunk.endswith(b"\r")
        if b"\r" in chunk:
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        if len(lines) == 1:
            self._grow(chunk)
            return []
        first = lines[0]
        if self._pending:
            self._grow(first)
            first = bytes(self._pending)
            self._pending.clear()
        lines[0] = first
        last = lines.pop()
        out = self._take_lines(lines)
        self._grow(last)
        return out

    def flush(self) -> list[str]:
        """End of body: return the data of a last event that had no closing blank line."""
        lines = [bytes(self._pending)] if self._pending else []
        self._pending.clear()
        return self._take_lines([*lines, b""])

    def _grow(self, piece: bytes) -> None:
        if len(self._pending) + len(piece) + self._data_size > self._max:
            raise BodyLimits(event=self._max).event_too_large()
        self._pending += piece

    def _take_lines(self, lines: list[bytes]) -> list[str]:
        out: list[str] = []
        data = self._data
        for raw in lines:
            if not raw:
                if data:
                    out.append("\n".join(data))
                    data.clear()
                    self._data_size = 0
                continue
            if raw.startswith(b"data:"):
                value = raw[5:]
                if value.startswith(b" "):
                    value = value[1:]
                self._add_data(value.decode("utf-8", "replace"))
            elif raw.startswith(b"error:"):
                payload = raw[6:].strip().decode("utf-8", "replace")
                self._add_data(json.dumps({"error": _loads_or_text(payload)}))
            # ":" comments and unknown fields (event:, id:, retry:) are ignored.
        return out

    def _add_data(self, value: str) -> None:
        self._data_size += len(value)
        if self._data_size > self._max:
            raise BodyLimits(event=self._max).event_too_large()
        self._data.append(value)


def _loads_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


def error_message(error: Any, fallback: str) -> str:
    """The server's own message from any error shape in wire-protocol §5 and §8."""
    if isinstance(error, str) and error.strip():
        return error.strip()
    if isinstance(error, dict):
        for key in ("message", "error", "detail"):
            value = error.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict):
                return error_message(value, fallback)
    return fallback


def decode_chunk(data: str) -> Iterator[ChatEvent]:
    """Turn one event's JSON into chat events.

    Raises:
        ServerError: the event is an error event, or is not JSON.
    """
    try:
        chunk = json.loads(data)
    except ValueError:
        raise ServerError(f"The server sent data that is not JSON: {data[:80]!r}") from None
    except RecursionError:
        raise ServerError("The server sent JSON nested too deeply to read.") from None
    if not isinstance(chunk, dict):
        return
    error = chunk.get("error")
    if error:
        status = error.get("code") if isinstance(error, dict) else None
        message = error_message(error, "The server reported an error during the answer.")
        raise ServerError(f"Server error: {message}", status if isinstance(status, int) else None)
    choices = chunk.get("choices")
    if isinstance(choices, list) and choices:
        choice = choices[0]
        if isinstance(choice, dict):
            delta = choice.get("delta")
            if isinstance(delta, dict):
                # vLLM 0.11.1–0.15 send the same text in both fields: never take both.
                reasoning = delta.get("reasoning")
                if not (isinstance(reasoning, str) and reasoning):
                    reasoning = delta.get("reasoning_content")
                if isinstance(reasoning, str) and reasoning:
                    yield ReasoningDelta(reasoning)
                content = delta.get("content")
                if isinstance(content, str) and content:
                    yield TextDelta(content)
                yield from tool_call_deltas(delta.get("tool_calls"))
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and reason:
                yield Finished(reason)
    timings = server_timings(chunk.get("timings"))
    if timings is not None:
        yield timings
    usage = chunk.get("usage")
    if isinstance(usage, dict):
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            yield Usage(prompt, completion, reasoning_tokens(usage))


def tool_call_deltas(calls: object) -> Iterator[ToolCallDelta]:
    """The pieces of ``delta.tool_calls``; one without an ``index`` is at its place in
    the list (Ollama numbers none)."""
    if not isinstance(calls, list):
        return
    for position, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        index = _count(call.get("index"))
        function = call.get("function")
        function = function if isinstance(function, dict) else {}
        call_id, name = call.get("id"), function.get("name")
        arguments = function.get("arguments")
        if isinstance(arguments, dict):  # a server that sends the object, not its JSON
            arguments = json.dumps(arguments, ensure_ascii=False)
        yield ToolCallDelta(
            position if index is None else index,
            call_id if isinstance(call_id, str) and call_id else None,
            name if isinstance(name, str) and name else None,
            arguments if isinstance(arguments, str) else "",
        )


def reasoning_tokens(usage: dict[str, Any]) -> int | None:
    """``completion_tokens_details.reasoning_tokens`` (vLLM 0.28+ with a parser, OpenAI)."""
    details = usage.get("completion_tokens_details")
    return _count(details.get("reasoning_tokens")) if isinstance(details, dict) else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def server_timings(timings: object) -> ServerTimings | None:
    """llama.cpp's own speeds, on its last chunk or its whole answer (wire-protocol §13);
    ``None`` if absent."""
    if not isinstance(timings, dict):
        return None
    decode = _number(timings.get("predicted_per_second"))
    if decode is None or decode <= 0:
        return None
    return ServerTimings(
        decode,
        _number(timings.get("prompt_per_second")),
        _count(timings.get("prompt_n")),
        _count(timings.get("cache_n")),
    )
