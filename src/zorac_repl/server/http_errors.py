"""What a server's HTTP error means, in one line the user can act on.

Kept apart from ``client.py`` so it needs no openai: the client hands over the status,
body and headers. It knows each server's way of saying "the prompt does not fit" and the
figures in it (wire-protocol §5.2, §8), a proxy's HTML error page, a refused TLS
certificate, and which reasoning control a 400 may be about.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

from zorac_repl.errors import (
    ContextOverflow,
    ImagesRefused,
    ServerError,
    ToolsRefused,
    ZoracError,
)
from zorac_repl.server.sse import error_message

__all__ = [
    "certificate_refused",
    "images_refused",
    "naming_controls",
    "one_line",
    "redirect_refused",
    "speaks_no_tls",
    "status_error",
    "web_page_error",
]

_log = logging.getLogger(__name__)

# A server's text in one of our lines is cut here: the rest is in the ZORAC_DEBUG log.
_SHOWN = 160

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


# Wire-protocol §14.3 and §14.4: how each server words "no images" or "fewer images".
_NO_IMAGES = (
    "is not a multimodal model",  # vLLM ~0.9
    "requires a multimodal processor",  # vLLM, current
    "image input is not supported",  # llama.cpp without --mmproj (HTTP 500)
    "does not support image input",  # LM Studio, LiteLLM
    "model does not support images",  # Ollama, newer
    "missing data required for image input",  # Ollama, a model without its projector
)
_AT_MOST_IMAGES = re.compile(r"at most (\d+) image\(s\) may be provided", re.IGNORECASE)
_ONE_IMAGE = "only supports one image"  # Ollama's mllama


def images_refused(status: int, message: str) -> ImagesRefused | None:
    """The refusal of a request's images, if ``message`` is one."""
    lowered = message.lower()
    limit = None
    if any(marker in lowered for marker in _NO_IMAGES):
        limit = 0
    elif (found := _AT_MOST_IMAGES.search(message)) is not None:
        limit = int(found[1])
    elif _ONE_IMAGE in lowered:
        limit = 1
    if limit is None:
        return None
    said = one_line(message)
    if limit == 0:
        return ImagesRefused(
            f"The model reads no images (HTTP {status}): {said}", status, limit, said
        )
    return ImagesRefused(
        f"The server takes at most {limit} image{'s' * (limit != 1)} in one request "
        f"(HTTP {status}): {said}",
        status,
        limit,
        said,
    )


_CONTROL_FIELDS = (
    ("reasoning_effort", "REASONING_EFFORT"),
    ("chat_template_kwargs", "THINKING"),
    ("enable_thinking", "THINKING"),
)


def naming_controls(error: ZoracError, sent: Mapping[str, Any]) -> ZoracError:
    """A 400 while reasoning controls were ``sent``: name the setting to set back to auto."""
    controls = {field for field, _ in _CONTROL_FIELDS if field in sent}
    if not (
        isinstance(error, ServerError)
        and error.status == 400
        and controls
        and not isinstance(error, ContextOverflow | ToolsRefused | ImagesRefused)
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


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it, as far as eight links down (the SDK wraps httpx, which
    wraps httpcore, which wraps the socket's error)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


def certificate_refused(exc: BaseException) -> str:
    """Why TLS refused the server's certificate, if that is what failed (else empty)."""
    for seen in _causes(exc):
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or "certificate verify failed"
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return "certificate verify failed"
    return ""


def one_line(text: str, limit: int = _SHOWN) -> str:
    """The one line of a server's text worth showing, at most ``limit`` characters.

    That is the first line with words in it, or, for a Python traceback, its last line
    (the exception); the whole text goes to the debug log (``ZORAC_DEBUG``).
    """
    lines = [line.strip() for line in text[: 64 * 1024].splitlines() if line.strip()]
    if not lines:
        return ""
    if len(lines) > 1 or len(lines[0]) > limit:
        _log.debug("the server's whole text: %s", text)
    chosen = lines[-1] if lines[0].startswith("Traceback (most recent call last)") else lines[0]
    return chosen if len(chosen) <= limit else chosen[: limit - 1].rstrip() + "…"


def _sentence(text: str) -> str:
    """``text`` ending as a sentence does, so a hint after it reads as a new one."""
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def web_page_error(base_url: str, status: int) -> ServerError:
    """A web page where the API should answer: a login page, a captive portal, a proxy."""
    return ServerError(
        f"Something between here and {base_url} answered HTTP {status} with a web page, "
        "not the API's JSON: a login page, a captive portal or a proxy? Check --proxy "
        "(HTTPS_PROXY, NO_PROXY) and --base-url.",
        status,
    )


def redirect_refused(base_url: str, status: int, location: str | None) -> ServerError:
    """A 3xx: not followed, so no header, key or message went to the other address."""
    from zorac_repl.settings.connection import shown_url

    where = shown_url(one_line(location or "", 120)) if location else "another address"
    return ServerError(
        f"The server at {base_url} redirected the request (HTTP {status}) to {where}; "
        "redirects are not followed, so nothing was sent there. If that address is the "
        "server, use it as --base-url.",
        status,
    )


# What OpenSSL says when the other end answers a TLS hello in plain HTTP.
_PLAIN_HTTP_MARKERS = (
    "WRONG_VERSION_NUMBER",
    "record layer failure",
    "HTTP_REQUEST",
    "packet length",
)


def speaks_no_tls(exc: BaseException) -> bool:
    """True when an https:// connection failed because the server answered in plain HTTP."""
    return any(
        (isinstance(seen, ssl.SSLError) or "SSL" in type(seen).__name__)
        and any(marker in str(seen) for marker in _PLAIN_HTTP_MARKERS)
        for seen in _causes(exc)
    )


def _looks_like_html(body: object) -> bool:
    text = body.lstrip()[:200].lower() if isinstance(body, str) else ""
    return text.startswith(("<!doctype", "<html", "<head", "<body")) or "<html" in text


def status_error(
    status: int, body: object, reason: str, content_type: str, base_url: str
) -> ServerError:
    """The line for an HTTP error status from the server (or from something in between)."""
    if _looks_like_html(body) or "text/html" in content_type:
        # A proxy's or gateway's own error page: its HTML says nothing useful on one line.
        return web_page_error(base_url, status)
    full = error_message(body, reason or "no details")
    message = one_line(full) or reason or "no details"
    text = f"{full} {body}" if isinstance(body, dict) else full
    if status == 400 and any(marker in text for marker in _OVERFLOW_MARKERS):
        window, prompt = _overflow_figures(body, full)
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
    refused = images_refused(status, full)
    if refused is not None:
        return refused
    if status == 400 and "--enable-auto-tool-choice" in full:
        return ToolsRefused(
            "The server is not started for tools: start vLLM with --enable-auto-tool-choice "
            "--tool-call-parser NAME (hermes for Qwen), or turn tools off (/tools off).",
            status,
        )
    if status == 400 and "does not support tools" in full:
        return ToolsRefused(f"The model takes no tools: {message}", status)
    if status == 401:
        return ServerError(
            "The server rejected the API key (HTTP 401): set VLLM_API_KEY or pass --api-key.",
            status,
        )
    if status == 404 and isinstance(body, dict) and body.get("detail") == "Not Found":
        return ServerError(
            f"The server has no such endpoint (HTTP 404): does {base_url} end in /v1?", status
        )
    if status == 404 and "model" in message.lower():
        return ServerError(
            f"Server error (HTTP 404): {_sentence(message)} Check --model or VLLM_MODEL.", status
        )
    return ServerError(f"Server error (HTTP {status}): {message}", status)
