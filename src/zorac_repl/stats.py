"""Timing and token figures of one answer, on a monotonic clock, and how they read.

Tokens are the server's exact ``usage.completion_tokens`` when it sends them; until then
(and with servers that never do) each content or reasoning delta counts as one token,
which is what vLLM sends by default, and a finished answer is counted locally.

Which rate is shown, and why (never a rate the timing cannot support):

- **server**: when the server reports its own decode speed (llama.cpp's ``timings``),
  that figure, with its prompt speed and cached prompt tokens.
- **decode**: the tokens after the first read ÷ the time from the first read to the last,
  but only when that span is at least ``MIN_DECODE_SPAN`` (0.25 s) and the answer came
  in at least ``MIN_READS`` (5) separate reads. Deltas that arrive together (one network
  read, a buffering proxy's flush) time nothing: the span between two reads would
  give figures like 111387.0 tok/s.
- **end-to-end** otherwise: tokens ÷ the time from the request to the last token, marked
  as such. It can only understate the model's speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from zorac_repl.events import ServerTimings

__all__ = ["MIN_DECODE_SPAN", "MIN_READS", "RateKind", "StreamStats",
           "TurnFigures", "format_context", "format_live", "format_stats", "short_rate"]

MIN_DECODE_SPAN = 0.25
MIN_READS = 5
# Deltas closer together than this came from one read: a client handles one read's
# events back to back, within microseconds.
_SAME_READ = 0.0005

RateKind = Literal["server", "decode", "end-to-end"]


@dataclass(frozen=True, slots=True)
class TurnFigures:
    """The figures of a finished (or interrupted) answer.

    Attributes:
        tokens_per_second: the rate shown; ``rate_kind`` says which one it is.
        server: the server's own speeds, when it sent them.
    """

    tokens: int
    duration: float
    ttft: float | None
    tokens_per_second: float
    is_exact: bool
    rate_kind: RateKind = "decode"
    server: ServerTimings | None = None


class StreamStats:
    """Collects timings while an answer streams.

    Args:
        clock: a monotonic clock in seconds; tests pass a fake one.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.started = clock()
        self.first_token: float | None = None
        self.last_token: float | None = None
        self.deltas = 0
        self.reads = 0
        self.first_read_deltas = 0
        self.exact_tokens: int | None = None
        self.prompt_tokens: int | None = None
        self.server: ServerTimings | None = None

    def on_delta(self) -> None:
        now = self._clock()
        if self.first_token is None:
            self.first_token = now
        if self.last_token is None or now - self.last_token > _SAME_READ:
            self.reads += 1
        if self.reads == 1:
            self.first_read_deltas += 1
        self.last_token = now
        self.deltas += 1

    def on_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.exact_tokens = completion_tokens

    def on_server_timings(self, speed: ServerTimings) -> None:
        self.server = speed

    @property
    def tokens(self) -> int:
        return self.exact_tokens if self.exact_tokens is not None else self.deltas

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started

    def elapsed(self) -> float:
        return self._clock() - self.started

    def rate(self, now: float | None = None) -> tuple[float, RateKind]:
        """The rate to show and which kind it is (see the module's docstring)."""
        if self.server is not None:
            return self.server.decode_per_second, "server"
        if self.first_token is None:
            return 0.0, "end-to-end"
        end = now if now is not None else (self.last_token or self.first_token)
        span = end - self.first_token
        if span >= MIN_DECODE_SPAN and self.reads >= MIN_READS:
            # The first read's tokens arrived at the span's start: they took no time in it.
            later = self.tokens * (self.deltas - self.first_read_deltas) / max(1, self.deltas)
            return later / span, "decode"
        total = end - self.started
        return (self.tokens / total if total > 0 else 0.0), "end-to-end"

    def finish(self, local_count: int | None = None) -> TurnFigures:
        """Freeze the figures; ``local_count`` replaces the delta count when no usage came."""
        if self.exact_tokens is None and local_count is not None and self.deltas <= 1:
            # One delta is a whole non-streamed answer: count its text instead.
            self.deltas = local_count
            self.first_read_deltas = local_count
        duration = (self.last_token or self._clock()) - self.started
        rate, kind = self.rate()
        return TurnFigures(self.tokens, duration, self.ttft, rate,
                           self.exact_tokens is not None, kind, self.server)


def _rate_text(rate: float, kind: RateKind) -> str:
    if kind == "server":
        return f"{rate:.1f} tok/s by the server"
    if kind == "end-to-end":
        return f"{rate:.1f} tok/s end-to-end"
    return f"{rate:.1f} tok/s"


def format_live(stats: StreamStats) -> str:
    """The toolbar while an answer streams: ``245 tokens | 2.1s | 64.5 tok/s | TTFT 0.21s``."""
    now = stats._clock()
    rate, kind = stats.rate(now)
    parts = [f"{stats.tokens} tokens", f"{now - stats.started:.1f}s", _rate_text(rate, kind)]
    if stats.ttft is not None:
        parts.append(f"TTFT {stats.ttft:.2f}s")
    return " | ".join(parts)


def format_context(messages: int, used: int, limit: int) -> str:
    """``Total: 4 msgs, ~312/12000 tokens``."""
    return f"Total: {messages} msgs, ~{used}/{limit} tokens"


def format_stats(figures: TurnFigures, context: str) -> str:
    """``Stats: 245 tokens in 3.8s (64.5 tok/s, TTFT 0.21s) | Total: 4 msgs, ~312/12000 tokens``.

    A server-timed rate adds the server's prompt speed and cached prompt tokens.
    """
    detail = _rate_text(figures.tokens_per_second, figures.rate_kind)
    if figures.ttft is not None:
        detail += f", TTFT {figures.ttft:.2f}s"
    server = figures.server
    if server is not None and server.prompt_per_second is not None:
        tokens = f"{server.prompt_tokens} tokens at " if server.prompt_tokens is not None else ""
        detail += f", prompt {tokens}{server.prompt_per_second:.1f} tok/s"
    if server is not None and server.cached_tokens:
        detail += f" ({server.cached_tokens} cached)"
    return f"Stats: {figures.tokens} tokens in {figures.duration:.1f}s ({detail}) | {context}"


def short_rate(figures: TurnFigures) -> str:
    """The rate as the toolbar's ``last:`` part shows it."""
    return _rate_text(figures.tokens_per_second, figures.rate_kind)
