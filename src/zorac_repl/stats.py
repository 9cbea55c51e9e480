"""Timing and token figures of one answer, on a monotonic clock, and how they read.

Tokens are the server's exact ``usage.completion_tokens`` when it sends them; until then
(and with servers that never do) each content or reasoning delta counts as one token,
which is what vLLM sends by default, and a finished answer is counted locally.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["StreamStats", "TurnFigures", "format_context", "format_live", "format_stats"]


@dataclass(frozen=True, slots=True)
class TurnFigures:
    """The figures of a finished (or interrupted) answer."""

    tokens: int
    duration: float
    ttft: float | None
    tokens_per_second: float
    is_exact: bool


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
        self.exact_tokens: int | None = None
        self.prompt_tokens: int | None = None

    def on_delta(self) -> None:
        now = self._clock()
        if self.first_token is None:
            self.first_token = now
        self.last_token = now
        self.deltas += 1

    def on_usage(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.exact_tokens = completion_tokens

    @property
    def tokens(self) -> int:
        return self.exact_tokens if self.exact_tokens is not None else self.deltas

    @property
    def ttft(self) -> float | None:
        return None if self.first_token is None else self.first_token - self.started

    def elapsed(self) -> float:
        return self._clock() - self.started

    def rate(self, now: float | None = None) -> float:
        """Decode speed: tokens per second since the first token (TTFT is reported apart)."""
        if self.first_token is None:
            return 0.0
        end = now if now is not None else (self.last_token or self.first_token)
        span = end - self.first_token
        return self.tokens / span if span > 0 else 0.0

    def finish(self, local_count: int | None = None) -> TurnFigures:
        """Freeze the figures; ``local_count`` replaces the delta count when no usage came."""
        if self.exact_tokens is None and local_count is not None and self.deltas <= 1:
            # One delta is a whole non-streamed answer: count its text instead.
            self.deltas = local_count
        duration = (self.last_token or self._clock()) - self.started
        return TurnFigures(self.tokens, duration, self.ttft, self.rate(),
                           self.exact_tokens is not None)


def format_live(stats: StreamStats) -> str:
    """The toolbar while an answer streams: ``245 tokens | 2.1s | 64.5 tok/s | TTFT 0.21s``."""
    now = stats._clock()
    parts = [f"{stats.tokens} tokens", f"{now - stats.started:.1f}s",
             f"{stats.rate(now):.1f} tok/s"]
    if stats.ttft is not None:
        parts.append(f"TTFT {stats.ttft:.2f}s")
    return " | ".join(parts)


def format_context(messages: int, used: int, limit: int) -> str:
    """``Total: 4 msgs, ~312/12000 tokens``."""
    return f"Total: {messages} msgs, ~{used}/{limit} tokens"


def format_stats(figures: TurnFigures, context: str) -> str:
    """``Stats: 245 tokens in 3.8s (64.5 tok/s, TTFT 0.21s) | Total: 4 msgs, ~312/12000 tokens``."""
    detail = f"{figures.tokens_per_second:.1f} tok/s"
    if figures.ttft is not None:
        detail += f", TTFT {figures.ttft:.2f}s"
    return f"Stats: {figures.tokens} tokens in {figures.duration:.1f}s ({detail}) | {context}"
