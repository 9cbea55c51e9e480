"""What the dev server makes of a chat request's messages before it answers: the last user
text (where directives are), the thinking the request gets, ``/tokenize``'s count, and
the refusals a server gives before any answer (wire-protocol §5)."""

from __future__ import annotations

import json
from typing import Any

from zorac_repl.devserver.answers import thinking_for
from zorac_repl.devserver.flavors import overflow_body
from zorac_repl.devserver.streaming import StreamOptions
from zorac_repl.devserver.wire import error_body
from zorac_repl.devserver.word_pieces import chat_prompt_tokens, split_tokens, token_id

__all__ = ["last_user_text", "refusal", "thinking_tokens", "tokenize_reply"]


def thinking_tokens(body: dict[str, Any], options: StreamOptions, prompt: str) -> list[str]:
    """The thinking tokens this request gets: none when the template was told not to think."""
    kwargs = body.get("chat_template_kwargs")
    if isinstance(kwargs, dict) and kwargs.get("enable_thinking") is False:
        return []
    if options.think <= 0:
        return []
    return split_tokens(thinking_for(prompt, options.think))


def tokenize_reply(body: dict[str, Any], max_model_len: int) -> bytes:
    """vLLM's ``/tokenize`` answer, for a prompt or for chat messages."""
    if isinstance(body.get("messages"), list):
        tokens = chat_prompt_tokens(body["messages"])
    else:
        tokens = split_tokens(str(body.get("prompt", "")))
    payload = {
        "count": len(tokens),
        "max_model_len": max_model_len,
        "tokens": [token_id(t) for t in tokens],
        "token_strs": None,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def refusal(
    flavor: str, body: dict[str, Any], stream: bool, prompt_tokens: int, max_model_len: int
) -> tuple[int, bytes] | None:
    """The error a request gets before any answer, as the imitated server words it."""
    if body.get("stream_options") is not None and not stream:
        return 400, error_body(
            "Stream options can only be defined when `stream=True`.", "BadRequestError", 400
        )
    if prompt_tokens >= max_model_len:
        flavored = overflow_body(flavor, max_model_len, prompt_tokens)
        if flavored is not None:
            return flavored
        if flavor != "ollama":
            return 400, error_body(
                f"This model's maximum context length is {max_model_len} tokens. However, "
                f"your prompt contains {prompt_tokens} input tokens, which exceeds this limit "
                "even without any output tokens. Please reduce the length of the input prompt.",
                "BadRequestError",
                400,
                "input_tokens",
            )
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    if flavor == "vllm" and isinstance(max_tokens, int) and max_tokens > max_model_len:
        return 400, error_body(
            f"max_tokens={max_tokens} cannot be greater than max_model_len="
            f"{max_model_len}. Please request fewer output tokens.",
            "BadRequestError",
            400,
            "max_tokens",
        )
    return None


def last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # text and image parts: the text, joined
                return "\n\n".join(
                    str(part.get("text", ""))
                    for part in content
                    if isinstance(part, dict) and part.get("type") == "text"
                )
            return content if isinstance(content, str) else ""
    return ""
