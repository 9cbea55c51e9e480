"""A non-streamed reply, from its bytes to a ``Completion``: the counterpart of ``sse.py``.

The JSON is parsed here, not by the openai SDK, so a web page or an error body sent with
HTTP 200 is one line, not an ``AttributeError``, and unknown keys or ``null`` anywhere
are tolerated as in a stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from zorac_repl.errors import ServerError
from zorac_repl.events import ServerTimings, ToolCallDelta, Usage
from zorac_repl.server.http_errors import one_line, web_page_error
from zorac_repl.server.sse import (
    error_message,
    reasoning_tokens,
    server_timings,
    tool_call_deltas,
)

__all__ = ["Completion", "completion_from"]


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole, non-streamed answer; ``reasoning`` is the thinking a parser split off."""

    text: str
    finish_reason: str | None
    usage: Usage | None
    timings: ServerTimings | None = None
    reasoning: str = ""
    tool_calls: tuple[ToolCallDelta, ...] = ()  # whole calls, one delta each


def completion_from(content: bytes, content_type: str, base_url: str) -> Completion:
    """A non-streamed reply's answer, from its bytes: JSON is parsed here, not by the SDK,
    so a web page or an error body with HTTP 200 is one line, not an ``AttributeError``.

    Raises:
        ServerError: the reply is not a chat completion.
    """
    text = content.decode("utf-8", "replace")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        body = None
    if not isinstance(body, dict):
        if "html" in content_type or text.lstrip()[:1] == "<":
            raise web_page_error(base_url, 200)
        raise ServerError(
            f"The server's reply is not the API's JSON: {one_line(text) or 'it was empty'}"
        )
    choices = body.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    if not isinstance(choice, dict):
        # LM Studio answers an unknown path with HTTP 200 and an error body (§8.3).
        raise ServerError(
            f"Server error: {error_message(body.get('error'), 'the answer was empty.')}"
        )
    message = choice.get("message")
    message = message if isinstance(message, dict) else {}
    answer = message.get("content")
    # Same rule as a stream: ``reasoning`` if it has text, else ``reasoning_content``.
    reasoning = next(
        (
            value
            for value in (message.get("reasoning"), message.get("reasoning_content"))
            if isinstance(value, str) and value
        ),
        "",
    )
    usage = None
    figures = body.get("usage")
    if isinstance(figures, dict):
        prompt, completion = figures.get("prompt_tokens"), figures.get("completion_tokens")
        if isinstance(prompt, int) and isinstance(completion, int):
            usage = Usage(prompt, completion, reasoning_tokens(figures))
    reason = choice.get("finish_reason")
    return Completion(
        answer if isinstance(answer, str) else "",
        reason if isinstance(reason, str) else None,
        usage,
        server_timings(body.get("timings")),
        reasoning,
        tuple(tool_call_deltas(message.get("tool_calls"))),
    )
