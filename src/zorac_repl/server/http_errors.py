"""What a server's HTTP error means, in one line the user can act on.

Kept apart from ``client.py`` so it needs no openai: the client hands over the status,
body and headers. It knows each server's way of saying "the prompt does not fit" and the
figures in it (wire-protocol §5.2, §8), a proxy's HTML error page, a refused TLS
certificate, and which reasoning control a 400 may be about.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from typing import Any

from zorac_repl.errors import ContextOverflow, ServerError, ZoracError
from zorac_repl.server.sse import error_message

__all__ = ["certificate_refused", "naming_controls", "status_error"]

# Wire-protocol §5.2: how each server words "the prompt does not fit".
_OVERFLOW_MARKERS = (
    "maximum context length",
    "context length is only",
    "longer than the maximum model length",
    "max_tokens must be at least 1",
    "exceeds the available context size",
    "longer than the model's context length",
    "context_length_exceeded",
    "exceed_context_size_error",
)


_CONTROL_FIELDS = (
    ("reasoning_effort", "REASONING_EFFORT"),
    ("chat_template_kwargs", "THINKING"),
    ("enable_thinking", "THINKING"),
)


def naming_controls(error: ZoracError, sent: Mapping[str, Any]) -> ZoracError:
    """A 400 while reasoning controls were ``sent``: name the setting to set back to auto."""
    if not (
        isinstance(error, ServerError)
        and error.status == 400
        and sent
        and not isinstance(error, ContextOverflow)
    ):
        return error
    named = {key for field, key in _CONTROL_FIELDS if field in str(error)}
    keys = sorted(named or {key for field, key in _CONTROL_FIELDS if field in sent})
    advice = " and ".join(f"/config set {key} auto" for key in keys)
    return ServerError(
        f"{error} The server may not take {' or '.join(keys)}: {advice} stops sending it.",
        error.status,
    )


_WINDOW_IN_MESSAGE = (
    re.compile(
        r"maximum context length is (?P<window>\d+) tokens.*?(?:prompt contains|you "
        r"requested|messages resulted in) (?P<prompt>\d+)",
        re.S,
    ),  # vLLM, OpenAI
    re.compile(
        r"request \((?P<prompt>\d+) tokens\) exceeds the available context size "
        r"\((?P<window>\d+) tokens\)"
    ),  # llama.cpp
    re.compile(
        r"input \((?P<prompt>\d+) tokens\) is longer than the model's context length "
        r"\((?P<window>\d+) tokens\)"
    ),  # SGLang
)


def _overflow_figures(body: object, message: str) -> tuple[int | None, int | None]:
    """The window and the prompt size an overflow error states (wire-protocol §5.2, §8.1)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):  # llama.cpp says them as fields
        window, prompt = error.get("n_ctx"), error.get("n_prompt_tokens")
        if isinstance(window, int) and isinstance(prompt, int):
            return window, prompt
    for pattern in _WINDOW_IN_MESSAGE:
        found = pattern.search(message)
        if found:
            return int(found["window"]), int(found["prompt"])
    return None, None


def certificate_refused(exc: BaseException) -> str:
    """Why TLS refused the server's certificate, if that is what failed (else empty)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return ""


def _looks_like_html(body: object) -> bool:
    text = body.lstrip()[:200].lower() if isinstance(body, str) else ""
    return text.startswith(("<!doctype", "<html", "<head", "<body")) or "<html" in text


def status_error(
    status: int, body: object, reason: str, content_type: str, base_url: str
) -> ServerError:
    """The line for an HTTP error status from the server (or from something in between)."""
    if _looks_like_html(body) or "text/html" in content_type:
        # A proxy's or gateway's own error page: its HTML says nothing useful on one line.
        return ServerError(
            f"Something between here and {base_url} answered HTTP {status} with an HTML "
            "page, not the server's JSON: a proxy or gateway? Check --proxy (HTTPS_PROXY, "
            "NO_PROXY) and --base-url.",
            status,
        )
    message = error_message(body, reason or "no details")
    text = f"{message} {body}" if isinstance(body, dict) else message
    if status == 400 and any(marker in text for marker in _OVERFLOW_MARKERS):
        window, prompt = _overflow_figures(body, message)
        figures = (
            f" ({prompt} tokens sent, {window} fit)"
            if window is not None and prompt is not None
            else ""
        )
        return ContextOverflow(
            f"The conversation is too long for the model's context{figures}: {message}",
            status,
            window,
            prompt,
        )
    if status == 401:
        return ServerError(
            "The server rejected the API key (HTTP 401): set VLLM_API_KEY or pass --api-key.",
            status,
        )
    if status == 404 and isinstance(body, dict) and body.get("detail") == "Not Found":
        return ServerError(
            f"The server has no such endpoint (HTTP 404): does {base_url} end in /v1?", status
        )
    hint = " Check --model or VLLM_MODEL." if status == 404 else ""
    return ServerError(f"Server error (HTTP {status}): {message}{hint}", status)
