"""The OpenAI-compatible API as typed events and typed errors; the only module that imports openai.

``import openai`` costs most of a second, so it happens on first use (or in ``warm_up``,
which the REPL runs in a background thread once the prompt is on screen). Streams use the
SDK's raw streaming response, which keeps its auth, base URL and status-error handling,
and parse SSE with ``zorac_repl.server.sse``, because building an SDK object per chunk would cap
the client near 3,000 tokens/s. Every failure leaves here as a ``ZoracError`` whose text
is one line for the user, and every stream is closed on the way out, on error and on
cancellation alike, so the server stops generating at once.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import threading
import urllib.request
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from zorac_repl.errors import (
    ConnectionFailed,
    ServerError,
    StreamInterrupted,
    ZoracError,
)
from zorac_repl.events import ChatEvent, Finished
from zorac_repl.server.discovery import ModelInfo, models_in
from zorac_repl.server.http_errors import (
    certificate_refused,
    naming_controls,
    redirect_refused,
    speaks_no_tls,
    status_error,
    web_page_error,
)
from zorac_repl.server.limits import NO_COMPRESSION, BodyLimits, response_hook
from zorac_repl.server.sse import (
    DONE,
    SSEDecoder,
    decode_chunk,
    error_message,
)
from zorac_repl.server.whole_reply import Completion, completion_from
from zorac_repl.settings.connection import LOOPBACK, Connection, shown_url, ssl_context
from zorac_repl.settings.table import Settings
from zorac_repl.settings.values import Effort, Thinking

if TYPE_CHECKING:
    import openai

_log = logging.getLogger(__name__)

__all__ = [
    "ChatClient",
    "ChatRequest",
    "Completion",
    "ModelInfo",
    "models_in",
    "start_importing_sdk",
]

CONNECT_TIMEOUT = 5.0
# No byte, and no event, for this long means the server has stalled (the STALL_TIMEOUT
# setting). It is generous because vLLM sends nothing between the headers and the first
# token (prefill). A non-streamed answer must come whole within it.
STREAM_READ_TIMEOUT = 120.0
# The transport's own retries of a connection that could not be made (refused: a server
# restarting), at once, then after 0.5 s and 1 s. Only the connection is retried, before a
# byte of the request is sent, so nothing is ever sent twice.
_CONNECT_RETRIES = 3


def start_importing_sdk() -> None:
    """Start importing openai on a thread, for a front end that will ask at once.

    The import takes about a second; argv, the config file, stdin and the session load
    meanwhile. It happens once: the client's own import waits on Python's import lock.
    """
    threading.Thread(
        target=importlib.import_module, args=("openai",), name="zorac-sdk-import", daemon=True
    ).start()


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What one chat call sends besides the messages."""

    model: str
    temperature: float
    max_tokens: int
    thinking: Thinking = "auto"  # THINKING: auto sends nothing; on/off send enable_thinking
    reasoning_effort: Effort = "auto"  # REASONING_EFFORT: auto sends nothing
    # Tools the model may call, in the OpenAI shape ({"type": "function", ...}); none: the
    # field is not sent at all (vLLM refuses it unless started for tools).
    tools: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatRequest:
        """The request the settings ask for."""
        return cls(
            settings.model,
            settings.temperature,
            settings.max_output_tokens,
            settings.thinking,
            settings.reasoning_effort,
        )

    def extra_body(self) -> dict[str, Any]:
        """The reasoning controls, in the fields vLLM and SGLang read (wire-protocol §2.1)."""
        extra: dict[str, Any] = {}
        if self.thinking != "auto":
            extra["chat_template_kwargs"] = {"enable_thinking": self.thinking == "on"}
        if self.reasoning_effort != "auto":
            extra["reasoning_effort"] = self.reasoning_effort
        if self.tools:
            # llama.cpp makes only one call a turn unless asked (wire-protocol §15.1).
            extra.update(tools=list(self.tools), parallel_tool_calls=True)
        return extra


class ChatClient:
    """Talks to one OpenAI-compatible server.

    Args:
        base_url: the server's URL including ``/v1``.
        api_key: sent as a Bearer token; servers without auth accept any value.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | Callable[[], str] = "",
        stall_timeout: float = STREAM_READ_TIMEOUT,
        connection: Connection | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        self.base_url = base_url
        self.shown_url = shown_url(base_url)  # a password in it masked, for messages
        self.stall_timeout = stall_timeout
        self.limits = limits or BodyLimits()
        self._api_key = api_key
        self._connection = connection or Connection()
        self._sdk: openai.AsyncOpenAI | None = None
        self._stream_timeout: Any = None
        self._building = threading.Lock()
        self._tokenize_missing = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatClient:
        """A client for the server the settings name, with their key, timeout and TLS."""
        return cls(
            settings.base_url,
            settings.api_key_now,
            settings.stall_timeout,
            settings.connection(),
            BodyLimits(
                settings.max_answer_bytes, settings.max_event_bytes, settings.max_error_bytes
            ),
        )

    def warm_up(self) -> None:
        """Import openai and build the SDK client ahead of need (about a second).

        Safe to call from a background thread while the event loop runs.
        """
        with self._building:
            if self._sdk is not None:
                return
            # Raises ConfigError (one line) for a key command or CA file that fails.
            key = self._api_key() if callable(self._api_key) else self._api_key
            connection = self._connection
            context = ssl_context(connection)
            module = importlib.import_module("openai")
            self._stream_timeout = module.Timeout(self.stall_timeout, connect=CONNECT_TIMEOUT)
            # Direct connections get the transport's connection retries. A transport given
            # to the client stops it reading proxies from the environment, so it is given
            # only when there are none; loopback is always direct, and always retried.
            retrying = importlib.import_module("httpx2").AsyncHTTPTransport(
                verify=context, retries=_CONNECT_RETRIES
            )
            is_direct = not connection.proxy and not urllib.request.getproxies()
            # Redirects are not followed: httpx would carry every -H header (a proxy's
            # secret, a Cloudflare Access token) and the whole conversation to wherever
            # the server points; the user is told where instead.
            http_client = module.DefaultAsyncHttpx2Client(
                verify=context,
                proxy=connection.proxy or None,
                mounts=dict.fromkeys(LOOPBACK, retrying),
                transport=retrying if is_direct else None,
                follow_redirects=False,
                event_hooks={"response": [response_hook(self.limits)]},
            )
            # The SDK retries twice by default, re-sending the whole prompt each time; a
            # chat client must not do that behind the user's back.
            self._sdk = module.AsyncOpenAI(
                base_url=self.base_url,
                api_key=key or "EMPTY",
                max_retries=0,
                timeout=module.Timeout(self.stall_timeout, connect=CONNECT_TIMEOUT),
                default_headers={**NO_COMPRESSION, **dict(connection.headers)},
                http_client=http_client,
            )

    async def _client(self) -> openai.AsyncOpenAI:
        if self._sdk is None:
            # Slow the first time: off the event loop, so spinners keep turning.
            await asyncio.to_thread(self.warm_up)
        assert self._sdk is not None
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None:
            await self._sdk.close()
            self._sdk = None

    async def models_payload(self) -> dict[str, Any]:
        """``GET /v1/models`` as the server sent it (each server adds its own fields)."""
        client = await self._client()
        try:
            reply = await client.get(
                "/models", cast_to=cast(Any, object), options={"timeout": CONNECT_TIMEOUT * 2}
            )
        except _sdk_errors() as exc:
            raise _translate(exc, self.shown_url, self.stall_timeout) from exc
        if isinstance(reply, str) and reply.lstrip()[:1] == "<":
            raise web_page_error(self.shown_url, 200)
        if not isinstance(reply, dict):
            raise ServerError(
                f"The server at {self.shown_url} answered /v1/models with "
                "something that is not a model list; does the URL end in /v1?"
            )
        return reply

    async def list_models(self) -> list[ModelInfo]:
        """The server's models (``GET /v1/models``), with their context length where given."""
        return models_in(await self.models_payload())

    async def fetch_json(self, path: str) -> Any:
        """``GET path`` at the server's root (``/props``, ``/v1/model/info``): its JSON, or
        ``None`` for any failure: a probe that finds nothing is not an error."""
        client = await self._client()
        root = self.base_url.removesuffix("/").removesuffix("/v1")
        try:
            return await client.get(
                f"{root}{path}", cast_to=cast(Any, object), options={"timeout": CONNECT_TIMEOUT}
            )
        except _sdk_errors(_and=ZoracError):
            _log.debug("probe %s%s found nothing", root, path, exc_info=True)
            return None

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """``POST path`` with a JSON body at the server's root (Ollama's ``/api/show``): its
        JSON, or ``None`` for any failure, as ``fetch_json``."""
        client = await self._client()
        root = self.base_url.removesuffix("/").removesuffix("/v1")
        try:
            return await client.post(
                f"{root}{path}",
                body=body,
                cast_to=cast(Any, object),
                options={"timeout": CONNECT_TIMEOUT},
            )
        except _sdk_errors(_and=ZoracError):
            _log.debug("probe POST %s%s found nothing", root, path, exc_info=True)
            return None

    async def detect_model(self) -> ModelInfo:
        """The model to talk to when none is configured: the first the server lists."""
        models = await self.list_models()
        if not models:
            raise ServerError(
                f"The server at {self.shown_url} lists no models; pass --model or set VLLM_MODEL."
            )
        return models[0]

    async def count_prompt_tokens(
        self, messages: Sequence[dict[str, str]], model: str
    ) -> int | None:
        """The server's exact prompt size for ``messages`` (vLLM ``POST /tokenize``).

        Returns ``None`` when the server has no such endpoint (llama.cpp, Ollama, ...)
        or does not answer it; the caller then counts locally.
        """
        if self._tokenize_missing:
            return None
        client = await self._client()
        root = self.base_url.removesuffix("/v1")
        try:
            reply = await client.post(
                f"{root}/tokenize",
                cast_to=cast(Any, object),
                body={
                    "model": model,
                    "messages": list(messages),
                    "add_generation_prompt": True,
                },
                options={"timeout": CONNECT_TIMEOUT * 2},
            )
        except _sdk_errors(_and=ZoracError) as exc:
            import openai

            if isinstance(exc, openai.APIStatusError) and exc.status_code in (404, 405):
                self._tokenize_missing = True
            return None
        count = reply.get("count") if isinstance(reply, dict) else None
        return count if isinstance(count, int) else None

    async def stream(
        self, messages: Sequence[dict[str, str]], request: ChatRequest
    ) -> AsyncIterator[ChatEvent]:
        """Stream one answer as events; ends after the last event of a complete answer.

        Raises:
            ConnectionFailed: unreachable, stalled, or dropped (``StreamInterrupted``).
            ServerError: an HTTP error or an error event; ``ContextOverflow`` when the
                prompt does not fit.
        """
        client = await self._client()
        finished = False
        opened = False
        _log.debug(
            "POST %s/chat/completions (stream): model %s, %d messages",
            self.shown_url,
            request.model,
            len(messages),
        )
        try:
            async with client.chat.completions.with_streaming_response.create(
                model=request.model,
                messages=cast(Any, list(messages)),
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                timeout=self._stream_timeout,
                extra_body=request.extra_body() or None,
            ) as response:
                opened = True
                await _reject_non_stream(response, self.shown_url)
                decoder = SSEDecoder(self.limits.event)
                loop = asyncio.get_running_loop()
                # Silence is caught by the read timeout; this catches a server that keeps
                # sending (comments, a line that never ends) without a single event.
                last_event = loop.time()
                async for raw in response.iter_bytes():
                    events = decoder.feed(raw)
                    if not events and loop.time() - last_event > self.stall_timeout:
                        raise _stalled(self.stall_timeout)
                    for data in events:
                        last_event = loop.time()
                        if data.startswith(DONE):
                            if not finished:
                                raise _incomplete()
                            return
                        for event in decode_chunk(data):
                            finished = finished or isinstance(event, Finished)
                            yield event
                for data in decoder.flush():
                    if not data.startswith(DONE):
                        for event in decode_chunk(data):
                            finished = finished or isinstance(event, Finished)
                            yield event
                # A body that ends without [DONE] is complete only if a finish reason came.
                if not finished:
                    raise _incomplete()
        except ZoracError:
            raise
        except _sdk_errors() as exc:
            _log.debug("the answer failed (opened: %s)", opened, exc_info=True)
            error = _translate(exc, self.shown_url, self.stall_timeout, midstream=opened)
            raise naming_controls(error, request.extra_body()) from exc

    async def complete(
        self, messages: Sequence[dict[str, str]], request: ChatRequest
    ) -> Completion:
        """One non-streamed answer; it must come whole within ``stall_timeout``.

        Raises:
            ConnectionFailed: unreachable, or no answer in time.
            ServerError: an HTTP error, an error body, or a reply that is not the API's.
        """
        client = await self._client()
        _log.debug("POST %s/chat/completions: model %s", self.shown_url, request.model)
        try:
            raw = await client.chat.completions.with_raw_response.create(
                model=request.model,
                messages=cast(Any, list(messages)),
                temperature=request.temperature,
                max_tokens=request.max_tokens,
                stream=False,
                extra_body=request.extra_body() or None,
            )
        except _sdk_errors() as exc:
            error = _translate(exc, self.shown_url, self.stall_timeout, waiting_whole=True)
            raise naming_controls(error, request.extra_body()) from exc
        reply = raw.http_response
        return completion_from(reply.content, reply.headers.get("content-type", ""), self.shown_url)


def _translate(
    exc: Exception,
    base_url: str,
    stall_timeout: float,
    midstream: bool = False,
    waiting_whole: bool = False,
) -> ZoracError:
    """Turn an SDK or transport exception into one line the user can act on."""
    import openai

    if isinstance(exc, openai.APIStatusError) and 300 <= exc.status_code < 400:
        return redirect_refused(base_url, exc.status_code, exc.response.headers.get("location"))
    if isinstance(exc, openai.APIStatusError):
        return status_error(
            exc.status_code,
            exc.body,
            exc.response.reason_phrase,
            exc.response.headers.get("content-type", ""),
            base_url,
        )
    if isinstance(exc, openai.APITimeoutError):
        cause = exc.__cause__
        transport = _transport_module(cause) if isinstance(cause, Exception) else None
        if transport is not None and isinstance(cause, transport.ConnectTimeout):
            return ConnectionFailed(
                f"Cannot reach {base_url}: no connection within "
                f"{CONNECT_TIMEOUT:.0f}s. Is the host up, and the port right?"
            )
        if waiting_whole:
            return StreamInterrupted(
                f"No answer within {stall_timeout:g}s (STALL_TIMEOUT). Without streaming the "
                "whole answer must come in that time: raise STALL_TIMEOUT for long ones."
            )
        return _stalled(stall_timeout)
    if isinstance(exc, openai.APIConnectionError) and speaks_no_tls(exc):
        return ConnectionFailed(
            f"The server at {base_url} does not speak TLS: it answered in plain HTTP. "
            "Use http:// in --base-url, or put TLS in front of it."
        )
    if isinstance(exc, openai.APIConnectionError) and certificate_refused(exc):
        return ConnectionFailed(
            f"The certificate of {base_url} is not trusted ({certificate_refused(exc)})"
            ": pass --ca-bundle PATH (ca_bundle in a profile) or set SSL_CERT_FILE for "
            "its CA, or --insecure to skip the check."
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        transport = _transport_module(cause) if isinstance(cause, Exception) else None
        dropped = transport is not None and isinstance(
            cause, transport.RemoteProtocolError | transport.ReadError
        )
        if dropped:
            return StreamInterrupted(
                "The server closed the connection before the answer was complete."
            )
        return _unreachable(base_url)
    if isinstance(exc, openai.APIError):
        return ServerError(f"Server error: {error_message(exc.body, exc.message)}")
    transport = _transport_module(exc)
    if transport is not None and isinstance(exc, transport.TimeoutException):
        return _stalled(stall_timeout)
    if transport is not None and isinstance(exc, transport.ConnectError):
        return _unreachable(base_url)
    if transport is not None and isinstance(exc, transport.TransportError):
        if midstream:
            return StreamInterrupted(
                "The server closed the connection in the middle of the answer."
            )
        return _unreachable(base_url)
    if transport is not None and isinstance(exc, transport.DecodingError):
        return ServerError(f"The server's answer could not be decoded: {exc}")
    raise exc


def _stalled(stall_timeout: float) -> StreamInterrupted:
    return StreamInterrupted(
        f"Server stopped sending: no data for {stall_timeout:g}s. If the model is "
        "just slow, raise STALL_TIMEOUT."
    )


def _unreachable(base_url: str) -> ConnectionFailed:
    return ConnectionFailed(
        f"Cannot reach {base_url}: is vLLM running? "
        "Start it with 'vllm serve MODEL', pass --base-url, or try --demo."
    )


def _sdk_errors(_and: type[Exception] | None = None) -> tuple[type[Exception], ...]:
    """What the SDK and its transport raise, which ``_translate`` turns into ours; anything
    else is a bug and propagates. ``_and``: one more class to catch with them."""
    import openai

    errors: tuple[type[Exception], ...] = (
        openai.APIError,
        importlib.import_module("httpx2").HTTPError,
    )
    return (*errors, _and) if _and is not None else errors


async def _reject_non_stream(response: Any, base_url: str) -> None:
    """An error body sent with HTTP 200 instead of a stream (LM Studio, wire-protocol §8.3),
    or a web page (a login page, a captive portal)."""
    content_type = response.headers.get("content-type", "")
    if "html" in content_type:
        raise web_page_error(base_url, response.status_code)
    if "json" not in content_type:
        return
    raw = await response.read()
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    message = error_message(error, "it sent JSON instead of a stream; is the base URL right?")
    raise ServerError(f"Server error: {message}")


def _incomplete() -> StreamInterrupted:
    return StreamInterrupted("The server ended the answer without finishing it.")


def _transport_module(exc: Exception) -> Any:
    """httpx2, the SDK's transport (openai 3.x), when it raised ``exc``."""
    if type(exc).__module__.split(".", 1)[0] == "httpx2":
        return importlib.import_module("httpx2")
    return None
