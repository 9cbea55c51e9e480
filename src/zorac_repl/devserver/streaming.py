"""How the dev server streams an answer: its SSE events, at the asked pace, and its faults.

Each event is one HTTP chunk, as uvicorn writes each yield of vLLM's generator; the
client's hang-up is noticed at once, even mid-stall, so a Ctrl+C test can check that the
server stopped generating.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from zorac_repl.devserver.faults import stream_events
from zorac_repl.devserver.wire import ChunkWriter, completion_body
from zorac_repl.devserver.word_pieces import chat_prompt_tokens

__all__ = [
    "THINK_SHAPES",
    "Disconnected",
    "RequestRecord",
    "StreamOptions",
    "llama_timings",
    "send_half",
    "stream_answer",
    "stream_fault",
    "wait_unless",
    "whole_answer",
]


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How fast answers come: tokens/s (0 means as fast as possible), TTFT, tokens per chunk."""

    rate: float = 0.0
    ttft: float = 0.0
    chunk_tokens: int = 1
    # llama.cpp's ``timings`` on the finish chunk: ``None`` sends none; 0 sends the speed
    # measured here; a number sends that decode speed.
    timings: float | None = None
    cached: int = 0  # prompt tokens the timings report as cached
    # A reasoning model's thinking before the answer: how many tokens, and how it is sent
    # (``THINK_SHAPES``).
    think: int = 0
    via: str = "reasoning"

    def directed(self, directives: dict[str, str]) -> StreamOptions:
        """These options as a message's directives change them (``[[rate=500 timings]]``)."""
        via = directives.get("via", self.via)
        if via not in THINK_SHAPES:
            via = self.via
        return StreamOptions(
            rate=float(directives.get("rate", self.rate)),
            ttft=float(directives.get("ttft", self.ttft)),
            chunk_tokens=max(1, int(directives.get("chunk", self.chunk_tokens))),
            timings=(
                float(directives["timings"] or 0) if "timings" in directives else self.timings
            ),
            cached=int(directives.get("cached", self.cached)),
            think=int(directives.get("think", self.think) or 0),
            via=via,
        )


# How the thinking reaches the client (wire-protocol §4): in vLLM ≥ 0.16's field, in the
# older field (SGLang, llama.cpp, DeepSeek), as <think> tags in the content (no parser),
# or after a <think> the chat template opened (DeepSeek-R1 distills): only </think>.
THINK_SHAPES = ("reasoning", "reasoning_content", "tags", "close")


@dataclass
class RequestRecord:
    """What one request asked for and what happened to it."""

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    target: str = ""  # the path with its query
    truncated: bool = False  # the prompt did not fit and was cut, as Ollama does
    served_text: str = ""
    served_reasoning: str = ""  # thinking sent in a reasoning field
    done_sent: bool = False
    disconnected_before_done: bool = False
    ended_at: float | None = None  # time.perf_counter() when the server was done with it
    done_at: float | None = None  # time.perf_counter() when [DONE] was written
    writes: list[tuple[float, str]] = field(default_factory=list)  # (time, text) per write
    finished: threading.Event = field(default_factory=threading.Event)
    images: list[Any] = field(default_factory=list)  # ReceivedImage: each image that came

    @property
    def messages(self) -> list[dict[str, Any]]:
        body = self.body or {}
        messages = body.get("messages")
        return messages if isinstance(messages, list) else []


class Disconnected(Exception):
    """The client went away (a Ctrl+C, a dropped connection)."""


@contextlib.asynccontextmanager
async def watching_hangup(
    reader: asyncio.StreamReader, record: RequestRecord
) -> AsyncIterator[asyncio.Future[bytes]]:
    """A read that completes when the client hangs up, for as long as a stream is written.

    While an answer streams the client sends nothing, so any read that completes means
    it went away: that is how the server sees a Ctrl+C at once, even mid-stall. A hang-up
    before ``[DONE]`` is recorded and raised as ``Disconnected``.
    """
    hangup = asyncio.ensure_future(reader.read(1))
    try:
        yield hangup
    except (ConnectionError, Disconnected):
        record.disconnected_before_done = not record.done_sent
        raise Disconnected from None
    finally:
        hangup.cancel()
        # The watcher must be gone before the next request's readline on this reader.
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await hangup


async def stream_answer(
    record: RequestRecord,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    chunks: ChunkWriter,
    tokens: list[str],
    reason: str,
    options: StreamOptions,
    prompt_tokens: int | None,
    thinking: list[str] | None = None,
) -> None:
    """Stream ``tokens`` as content, after ``thinking`` in the ``options.via`` field."""
    step = options.chunk_tokens
    thinking = thinking or []
    thoughts = ["".join(thinking[i : i + step]) for i in range(0, len(thinking), step)]
    pieces = ["".join(tokens[i : i + step]) for i in range(0, len(tokens), step)]
    # vLLM puts the last token's text on the finish chunk when it stops for length.
    final = pieces.pop() if pieces and reason == "length" else ""
    async with watching_hangup(reader, record) as hangup:
        writer.write(stream_head())
        if options.ttft > 0:
            await wait_unless(hangup, options.ttft)
        start = time.perf_counter()
        pending, pending_text = [chunks.role()], []
        for number, piece in enumerate([*thoughts, *pieces], 1):
            if number <= len(thoughts):
                pending.append(chunks.reasoning(piece, options.via))
                record.served_reasoning += piece
            else:
                pending.append(chunks.content(piece))
                pending_text.append(piece)
            due = start + number * step / options.rate if options.rate else 0.0
            delay = due - time.perf_counter()
            if delay > 0.0005 or len(pending) >= 64:
                await send_chunks(writer, pending, hangup)
                record.served_text += "".join(pending_text)
                record.writes.append((time.perf_counter(), "".join(pending_text)))
                pending, pending_text = [], []
                if delay > 0:
                    await wait_unless(hangup, delay)
        record.served_text += "".join(pending_text) + final
        timings = llama_timings(
            options,
            len(tokens),
            time.perf_counter() - start,
            len(chat_prompt_tokens(record.messages)),
        )
        pending.append(
            chunks.finish(reason, final, with_fingerprint=prompt_tokens is None, timings=timings)
        )
        if prompt_tokens is not None:
            pending.append(
                chunks.usage(
                    prompt_tokens, len(thinking) + len(tokens), len(thinking) if thinking else None
                )
            )
        pending.append(b"data: [DONE]\n\n")
        await send_chunks(writer, pending, hangup)
        record.done_at = time.perf_counter()
        record.writes.append((record.done_at, "".join(pending_text) + final))
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        record.done_sent = True


async def stream_fault(
    record: RequestRecord,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    chunks: ChunkWriter,
    tokens: list[str],
    reason: str,
    prompt_tokens: int | None,
    fault: str,
) -> None:
    kind = fault.partition(":")[0]
    async with watching_hangup(reader, record) as hangup:

        async def send(parts: list[bytes]) -> None:
            await send_chunks(writer, parts, hangup)

        async def wait_for_hangup() -> None:
            await wait_unless(hangup, 120)

        writer.write(stream_head())

        def on_sent(text: str) -> None:
            record.served_text = text

        await stream_events(
            fault, chunks, tokens, reason, prompt_tokens, send, wait_for_hangup, on_sent
        )
        if kind == "drop":
            writer.transport.abort()
            raise Disconnected
        record.done_sent = kind not in ("no-done", "error-event")
        record.done_at = time.perf_counter()
        if kind == "hold-open":
            await wait_for_hangup()
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def stream_ready_events(
    record: RequestRecord,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    chunks: ChunkWriter,
    events: list[bytes],
) -> None:
    """Stream ready-made ``events`` after the role chunk, then ``[DONE]`` (tool calls)."""
    async with watching_hangup(reader, record) as hangup:
        writer.write(stream_head())
        await send_chunks(writer, [chunks.role(), *events, b"data: [DONE]\n\n"], hangup)
        record.done_at = time.perf_counter()
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        record.done_sent = True


def llama_timings(
    options: StreamOptions, predicted: int, seconds: float, prompt: int
) -> dict[str, Any] | None:
    """llama.cpp's ``timings`` object (wire-protocol §13), when the request asked for it."""
    if options.timings is None:
        return None
    per_second = options.timings or predicted / max(seconds, 1e-6)
    prompt_ms = max(options.ttft, 0.001) * 1000
    return {
        "cache_n": options.cached,
        "prompt_n": prompt - options.cached,
        "prompt_ms": round(prompt_ms, 3),
        "prompt_per_token_ms": round(prompt_ms / max(1, prompt), 3),
        "prompt_per_second": round(1000 * max(1, prompt) / prompt_ms, 3),
        "predicted_n": predicted,
        "predicted_ms": round(1000 * predicted / per_second, 3),
        "predicted_per_token_ms": round(1000 / per_second, 3),
        "predicted_per_second": round(per_second, 3),
    }


def stream_head() -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\ndate: {formatdate(usegmt=True)}\r\nserver: uvicorn\r\n"
        "content-type: text/event-stream; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n"
    ).encode()


async def send_chunks(
    writer: asyncio.StreamWriter, events: list[bytes], hangup: asyncio.Future[bytes]
) -> None:
    if hangup.done():
        raise Disconnected
    # One HTTP chunk per event, as uvicorn writes each yield of vLLM's generator.
    writer.write(b"".join(b"%x\r\n%s\r\n" % (len(event), event) for event in events))
    await writer.drain()


async def wait_unless(hangup: asyncio.Future[bytes], seconds: float) -> None:
    done, _ = await asyncio.wait({hangup}, timeout=seconds)
    if done:
        raise Disconnected


async def whole_answer(
    record: RequestRecord,
    model: str,
    tokens: list[str],
    thinking: list[str],
    reason: str,
    options: StreamOptions,
    prompt_tokens: int,
) -> bytes:
    """A non-streamed completion's body, after the time generating it would take."""
    generated = len(thinking) + len(tokens)
    seconds = generated / options.rate if options.rate else 0.0
    await asyncio.sleep(options.ttft + seconds)
    record.served_text = "".join(tokens)
    record.served_reasoning = "".join(thinking)
    return completion_body(
        model,
        record.served_text,
        reason,
        prompt_tokens,
        generated,
        llama_timings(options, generated, seconds, prompt_tokens),
        reasoning=record.served_reasoning if thinking else None,
        reasoning_field=options.via,
        reasoning_tokens=len(thinking) if thinking else None,
    )


async def send_half(writer: asyncio.StreamWriter, payload: bytes) -> None:
    """Promise the whole body, send half of it, and hang up (the ``drop`` fault)."""
    head = (
        f"HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-length: "
        f"{len(payload) * 2}\r\ncontent-type: application/json\r\n\r\n"
    )
    writer.write(head.encode() + payload[: len(payload) // 2])
    await writer.drain()
    writer.transport.abort()
    raise Disconnected
