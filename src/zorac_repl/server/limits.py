"""Bounds on what a server can make the client read: a hostile server, or anyone in between,
must not be able to take the user's memory or CPU.

Every response body passes through ``bounded_body`` before httpx or the SDK sees it (a
response hook): a successful reply may be at most ``answer`` bytes, an error reply is cut
at ``error`` bytes, and a compressed body is inflated here, in bounded steps, so inflated
bytes count against the same limits (a gzip bomb stops at the limit, not at 6 GB).
``Accept-Encoding: identity`` asks servers not to compress at all.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zorac_repl.errors import ServerError, TooLarge
from zorac_repl.settings.values import size_text

if TYPE_CHECKING:
    import httpx2

__all__ = ["NO_COMPRESSION", "BodyLimits", "response_hook"]

NO_COMPRESSION = {"Accept-Encoding": "identity"}
# How much one inflating step may produce: memory stays a few of these, whatever the ratio.
_INFLATE_STEP = 64 * 1024


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """The size limits, in bytes (the ``MAX_*_BYTES`` settings)."""

    answer: int = 64 * 1024**2
    event: int = 4 * 1024**2
    error: int = 64 * 1024

    def answer_too_large(self) -> TooLarge:
        return TooLarge(
            f"The server sent more than MAX_ANSWER_BYTES ({size_text(self.answer)}) for one "
            "answer; the rest was not read. Raise MAX_ANSWER_BYTES if the answer is real."
        )

    def event_too_large(self) -> TooLarge:
        return TooLarge(
            f"The server sent one line or event over MAX_EVENT_BYTES "
            f"({size_text(self.event)}); the rest was not read. Is the base URL an "
            "OpenAI-compatible server?"
        )


def response_hook(limits: BodyLimits) -> Callable[[httpx2.Response], Awaitable[None]]:
    """An httpx response hook that bounds every body by ``limits``, and inflates it itself."""
    import httpx2

    class BoundedStream(httpx2.AsyncByteStream):
        def __init__(
            self, inner: httpx2.AsyncByteStream, cap: int, is_error: bool, encoding: str
        ) -> None:
            self._inner = inner
            self._cap = cap
            self._is_error = is_error
            self._encoding = encoding

        async def __aiter__(self) -> AsyncIterator[bytes]:
            taken = 0
            inflate = _inflater(self._encoding)
            async for raw in self._inner:
                for piece in inflate(raw):
                    if taken + len(piece) > self._cap:
                        if self._is_error:
                            # An error reply is only read for its first line: the rest goes.
                            yield piece[: self._cap - taken]
                            return
                        raise limits.answer_too_large()
                    taken += len(piece)
                    yield piece

        async def aclose(self) -> None:
            await self._inner.aclose()

    async def hook(response: httpx2.Response) -> None:
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        is_error = response.status_code >= 300
        cap = limits.error if is_error else limits.answer
        if not isinstance(response.stream, httpx2.AsyncByteStream):
            raise TypeError("the limits are for the async client's streams")
        response.stream = BoundedStream(response.stream, cap, is_error, encoding)
        if "content-encoding" in response.headers:
            # Inflated here already: httpx must not inflate it again, without a limit.
            del response.headers["content-encoding"]

    return hook


def _inflater(encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    """Inflate ``gzip`` or ``deflate`` in steps of at most ``_INFLATE_STEP`` bytes, so a
    caller that stops at a limit never holds more than one step."""
    if encoding in ("", "identity"):
        return lambda raw: iter((raw,) if raw else ())
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise ServerError(
            f"The server compressed its reply as {encoding[:40]!r}, which was not asked for "
            "and cannot be read."
        )
    # 47 reads a gzip or a zlib header; "deflate" is sometimes sent raw, without one.
    inflaters = [zlib.decompressobj(47)]
    if encoding == "deflate":
        inflaters.append(zlib.decompressobj(-zlib.MAX_WBITS))

    def inflate(raw: bytes) -> Iterator[bytes]:
        try:
            piece = inflaters[0].decompress(raw, _INFLATE_STEP)
        except zlib.error as exc:
            if len(inflaters) == 1:
                raise ServerError(f"The server's compressed reply is broken ({exc}).") from None
            del inflaters[0]  # the header was not zlib's: raw deflate
            yield from inflate(raw)
            return
        del inflaters[1:]
        inflater = inflaters[0]
        while True:
            if piece:
                yield piece
            if not inflater.unconsumed_tail:
                return
            try:
                piece = inflater.decompress(inflater.unconsumed_tail, _INFLATE_STEP)
            except zlib.error as exc:
                raise ServerError(f"The server's compressed reply is broken ({exc}).") from None

    return inflate
