"""A vLLM-faithful OpenAI-compatible HTTP server on 127.0.0.1, for tests, benchmarks and --demo.

It speaks HTTP/1.1 with keep-alive on raw asyncio streams, so it controls every byte and
every chunk boundary, and it notices at once when a client hangs up. Each request is
recorded (``DevServer.requests``), including whether the client went away before
``[DONE]``.

The last user message may carry directives that shape the answer, for example
``[[tokens=2000 rate=500 ttft=0.1 chunk=2]]``, ``[[echo]]`` (answer with the message),
``[[hostile]]`` (terminal escapes and markup), ``[[unicode]]`` (zero-width, RTL, emoji)
``[[longline=100000]]`` (one line that long) or ``[[paragraphs=40]]`` (plain paragraphs);
``[[images]]`` answers with what images arrived (count, pixels, format, EXIF left).
``[[timings]]`` adds llama.cpp's ``timings`` to the last chunk (``timings=42.7`` fixes its
decode speed, ``cached=N`` its cached prompt tokens).
``[[think=N via=SHAPE]]`` makes the model think N tokens first, sent as SHAPE: the
``reasoning`` field (vLLM ≥ 0.16, the default), ``reasoning_content`` (older vLLM,
SGLang, llama.cpp), ``tags`` (``<think>…</think>`` in the content, no parser) or
``close`` (only ``</think>``: R1 distills); ``chat_template_kwargs.enablethinking_tokens``
false turns it off, as Qwen3's template does. ``[[strict]]`` refuses ``reasoning_effort``
and ``chat_template_kwargs`` with a 400, as a server that forbids unknown fields does.
A fault can be asked for the same way (``[[fault=drop]]``), or queued from Python for the
next chat requests with ``DevServer.inject("drop")``, which is how tests make a request
fail that carries no user text of their own (a summarization, say). ``faults.py`` lists
them: every scenario of wire-protocol §11.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import ssl
import threading
import time
from email.utils import formatdate
from typing import Any

from zorac_repl.devserver.answers import directed_answer, parse_directives
from zorac_repl.devserver.faults import STREAM_FAULTS, error_response, is_http_fault
from zorac_repl.devserver.flavors import (
    discovery_body,
    models_body_for,
    show_body,
)
from zorac_repl.devserver.images import (
    ReceivedImage,
    blind_refusal,
    described,
    image_tokens,
    images_in,
    too_many_refusal,
)
from zorac_repl.devserver.prompts import last_user_text, refusal, thinking_tokens, tokenize_reply
from zorac_repl.devserver.streaming import (
    Disconnected,
    RequestRecord,
    StreamOptions,
    send_half,
    stream_answer,
    stream_fault,
    stream_ready_events,
    wait_unless,
    whole_answer,
)
from zorac_repl.devserver.tool_calls import (
    calls_due,
    tool_call_events,
    tool_results,
    tools_refusal,
    untemplated_call_text,
    whole_tool_calls,
)
from zorac_repl.devserver.wire import (
    ChunkWriter,
    error_body,
    models_body,
)
from zorac_repl.devserver.word_pieces import chat_prompt_tokens, split_tokens

__all__ = ["DevServer", "RequestRecord", "StreamOptions"]

_TLS_HANDSHAKE = b"\x16"  # the first byte of a TLS hello

_log = logging.getLogger(__name__)


class DevServer:
    """The server. Use ``start()``/``stop()`` from synchronous code (it runs in a thread).

    Args:
        model: the served model name.
        max_model_len: the context length reported and enforced.
        options: the default pace; directives in a message override it per request.
        api_key: when set, ``/v1`` paths require ``Authorization: Bearer <key>``.
        port: 0 picks a free port.
        other_models: more served models, id -> context length (as several vLLM
            instances behind one router, or a LoRA list).
        tls: serve HTTPS with this context (a test's throw-away certificate).
        tools: the server is set up for tool calls (vLLM's two flags, llama.cpp's Jinja,
            an Ollama model with the capability); when not, ``tools`` are refused as
            ``flavor``'s server refuses them (``tool_calls.py``).
        flavor: imitate another server's discovery endpoints (``flavors.py``).
        vision: the model reads images; when not, images are refused as ``flavor``
            refuses them, and its discovery endpoints say so.
        image_limit: the most images one request may carry (vLLM's
            ``--limit-mm-per-prompt``); ``None``: no limit.
        blind_wording: which of vLLM's refusals a text-only model answers with
            (``images.VLLM_REFUSALS``).
    """

    def __init__(
        self,
        model: str = "Qwen/Qwen3-8B",
        max_model_len: int = 32768,
        options: StreamOptions | None = None,
        api_key: str = "",
        port: int = 0,
        other_models: dict[str, int] | None = None,
        tls: ssl.SSLContext | None = None,
        flavor: str = "vllm",
        vision: bool = True,
        image_limit: int | None = None,
        blind_wording: str = "processor",
        tools: bool = True,
    ) -> None:
        self.tools = tools
        self.tls = tls
        self.flavor = flavor
        self.vision = vision
        self.image_limit = image_limit
        self.blind_wording = blind_wording
        self._loaded: set[str] = set()  # models a chat request has loaded (Ollama)
        self.model = model
        self.max_model_len = max_model_len
        self.other_models = dict(other_models or {})
        self.options = options or StreamOptions()
        self.api_key = api_key
        self.port = port
        self.requests: list[RequestRecord] = []
        self._faults: collections.deque[str] = collections.deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/v1"

    @property
    def models(self) -> dict[str, int]:
        """Every served model id and its context length, the default first."""
        return {self.model: self.max_model_len, **self.other_models}

    def inject(self, *faults: str) -> None:
        """Make the next chat requests fail, one fault each, in order (see module doc)."""
        self._faults.extend(faults)

    def chat_requests(self) -> list[RequestRecord]:
        """The chat-completion requests received so far, oldest first."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    # -- lifecycle ---------------------------------------------------------------------

    async def serve(self) -> asyncio.Server:
        """Start listening on the running loop (for callers that own a loop)."""
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, ssl=self.tls
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self._server

    def start(self) -> DevServer:
        """Start in a daemon thread with its own event loop; returns once listening."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            # In --demo the server shares the user's terminal: its troubles go to the log.
            loop.set_exception_handler(
                lambda _loop, context: _log.debug("dev server: %s", context.get("message"))
            )
            self._loop = loop
            loop.run_until_complete(self.serve())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="zorac-devserver", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shutdown() -> None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(3)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(3)

    # -- HTTP --------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._handle_one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, Disconnected):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _handle_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        first = await reader.read(1)
        if not first:
            return False
        request_line = b"" if first == _TLS_HANDSHAKE else first + await reader.readline()
        parts = request_line.decode("latin-1").split(" ", 2)
        if len(parts) != 3:
            # As uvicorn answers a TLS hello (https:// to this plain-HTTP server) or any
            # line that is not HTTP: a 400 in plain text, then the connection closes.
            message = b"Invalid HTTP request received."
            writer.write(
                b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(message), message)
            )
            await writer.drain()
            return False
        method, target, _ = parts
        headers: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        raw = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        if target.startswith(("http://", "https://")):
            # The absolute form a proxy forwards (RFC 9112 §3.2.2): servers must take it.
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path = target.split("?", 1)[0]
        body: dict[str, Any] | None = None
        if raw:
            try:
                parsed = json.loads(raw)
                body = parsed if isinstance(parsed, dict) else None
            except ValueError:
                body = None
        record = RequestRecord(method, path, body, headers, target=target)
        self.requests.append(record)
        try:
            await self._route(record, headers, raw, reader, writer)
        finally:
            record.ended_at = time.perf_counter()
            record.finished.set()
        return headers.get("connection", "").lower() != "close"

    async def _route(
        self,
        record: RequestRecord,
        headers: dict[str, str],
        raw: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        path, method = record.path, record.method
        if (
            self.api_key
            and path.startswith("/v1")
            and (headers.get("authorization") != f"Bearer {self.api_key}")
        ):
            # vLLM's auth middleware: `error` is a plain string here (wire-protocol §5.5).
            await _respond(writer, 401, b'{"error":"Unauthorized"}')
        elif path == "/health" and method == "GET":
            await _respond(writer, 200, b"", content_type=None)
        elif path == "/v1/models" and method == "GET":
            await _respond(
                writer,
                200,
                models_body_for(self.flavor, self.models, self.vision) or models_body(self.models),
            )
        elif (
            method == "GET"
            and (
                found := discovery_body(
                    self.flavor, record.target, self.models, self._loaded, self.vision, self.tools
                )
            )
            is not None
        ):
            await _respond(writer, 200, found)
        elif path == "/api/show" and method == "POST" and self.flavor == "ollama":
            await _respond(writer, 200, show_body(self.vision, self.tools))
        elif path == "/tokenize" and method == "POST":
            await _respond(writer, 200, tokenize_reply(record.body or {}, self.max_model_len))
        elif path == "/v1/chat/completions" and method == "POST":
            if record.body is None:
                await _respond(
                    writer, 400, error_body(f"JSON decode error: {raw[:40]!r}", "Bad Request", 400)
                )
            else:
                await self._chat(record, record.body, reader, writer)
        else:
            await _respond(writer, 404, b'{"detail":"Not Found"}')

    async def _chat(
        self,
        record: RequestRecord,
        body: dict[str, Any],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        model = body.get("model") or self.model
        if model not in self.models:
            await _respond(
                writer,
                404,
                error_body(
                    f"The model `{model}` does not exist. Valid aliases: {self.model}.",
                    "NotFoundError",
                    404,
                    "model",
                ),
            )
            return
        max_model_len = self.models[model]
        stream = bool(body.get("stream"))
        received = images_in(record.messages)
        if isinstance(received, str):
            await _respond(writer, 400, error_body(received, "BadRequestError", 400))
            return
        record.images = received
        refused = self._images_refused(model, len(received))
        if refused is not None:
            await _respond(writer, *refused)
            return
        prompt_tokens = len(chat_prompt_tokens(record.messages)) + image_tokens(received)
        self._loaded.add(model)
        refused_early = refusal(self.flavor, body, stream, prompt_tokens, max_model_len)
        if refused_early is not None:
            await _respond(writer, *refused_early)
            return
        if prompt_tokens >= max_model_len:
            # Ollama keeps the newest messages that fit and says nothing (wire-protocol §8.2).
            record.truncated = True
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        # vLLM ≥ 0.32 silently clamps max_tokens to the room left (wire-protocol §5.3).
        room = max_model_len // 4 if record.truncated else max_model_len - prompt_tokens
        limit = min(max_tokens, room) if isinstance(max_tokens, int) else room
        last_user = last_user_text(record.messages)
        directives = parse_directives(last_user)
        if await self._tool_calls(record, body, model, directives, reader, writer):
            return
        text = _answer_text(record.messages, last_user, directives, received)
        options = self.options.directed(directives)
        if "strict" in directives:
            # A server whose request model forbids unknown fields (OpenAI-style).
            extra = next(
                (key for key in ("reasoning_effort", "chat_template_kwargs") if key in body), None
            )
            if extra is not None:
                await _respond(
                    writer,
                    400,
                    error_body(
                        f"Unrecognized request argument supplied: {extra}",
                        "invalid_request_error",
                        400,
                        extra,
                    ),
                )
                return
        thinking = thinking_tokens(body, options, last_user)
        tokens = split_tokens(text)
        if options.via in ("tags", "close") and thinking:
            # No reasoning parser: the thinking is content, as the model wrote it.
            opening = ["<think>", "\n"] if options.via == "tags" else []
            tokens = [*opening, *thinking, "\n", "</think>", "\n\n", *tokens]
            thinking = []
        reason = "stop"
        if len(thinking) + len(tokens) > limit:
            reason = "length"
            tokens = tokens[: max(0, limit - len(thinking))]
            thinking = thinking[:limit]
        fault = self._faults.popleft() if self._faults else directives.get("fault", "")
        if is_http_fault(fault):
            status, payload = error_response(fault)
            await _respond(writer, status, payload)
            return
        if fault == "stall" or (fault == "stall-mid" and not stream):
            hangup = asyncio.ensure_future(reader.read(1))
            with contextlib.suppress(Disconnected):
                await wait_unless(hangup, 120)
            hangup.cancel()
            raise Disconnected
        if fault.startswith("delay:"):
            await asyncio.sleep(float(fault.partition(":")[2]))
            fault = ""
        if not stream:
            payload = await whole_answer(
                record, model, tokens, thinking, reason, options, prompt_tokens
            )
            if fault == "drop":
                await send_half(writer, payload)
            await _respond(writer, 200, payload)
            return
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and bool(
            stream_options.get("include_usage")
        )
        if fault.partition(":")[0] in STREAM_FAULTS:
            await stream_fault(
                record,
                reader,
                writer,
                ChunkWriter(model),
                tokens,
                reason,
                prompt_tokens if include_usage else None,
                fault,
            )
            return
        await stream_answer(
            record,
            reader,
            writer,
            ChunkWriter(model),
            tokens,
            reason,
            options,
            prompt_tokens if include_usage else None,
            thinking,
        )

    async def _tool_calls(
        self,
        record: RequestRecord,
        body: dict[str, Any],
        model: str,
        directives: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        """Answer with the tool calls ``[[call=...]]`` asks for, or refuse ``tools`` as an
        unprepared server does; ``False``: the request gets an ordinary answer."""
        tools = body.get("tools")
        if not isinstance(tools, list) or not tools:
            return False
        if not self.tools:
            refused = tools_refusal(self.flavor, model)
            if refused is not None:
                await _respond(writer, *refused)
                return True
        due = calls_due(record.messages, directives)
        if not due:
            return False
        arguments = directives.get("args") or "{}"
        if not self.tools:  # llama.cpp without Jinja: the call is only text
            directives["say"] = untemplated_call_text(due, arguments)
            return False
        chunks = ChunkWriter(model)
        events = tool_call_events(
            chunks.head, self.flavor, due, arguments, directives.get("finish", "tool_calls")
        )
        if body.get("stream"):
            await stream_ready_events(record, reader, writer, chunks, events)
        else:
            await _respond(writer, 200, whole_tool_calls(model, due, arguments))
        return True

    def _images_refused(self, model: str, count: int) -> tuple[int, bytes] | None:
        if count and not self.vision:
            return blind_refusal(self.flavor, model, self.blind_wording)
        if self.image_limit is not None and count > self.image_limit:
            return too_many_refusal(self.image_limit)
        return None


def _answer_text(
    messages: list[dict[str, Any]],
    last_user: str,
    directives: dict[str, str],
    received: list[ReceivedImage],
) -> str:
    """What the model answers: text llama.cpp made of a call, what images arrived, what
    the tools said, or what the message's directives ask for."""
    if "say" in directives:
        return directives["say"]
    if "images" in directives:
        return described(received)
    results = tool_results(messages)
    if results:
        return "The tools said: " + "; ".join(results)
    return directed_answer(last_user, directives)


async def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str | None = "application/json",
) -> None:
    reason = {
        200: "OK",
        400: "Bad Request",
        401: "Unauthorized",
        404: "Not Found",
        500: "Internal Server Error",
        503: "Service Unavailable",
    }.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\ndate: {formatdate(usegmt=True)}\r\nserver: uvicorn\r\n"
    head += f"content-length: {len(body)}\r\n"
    if content_type:
        head += f"content-type: {content_type}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
