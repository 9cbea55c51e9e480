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

__all__ = [
    "MIN_DECODE_SPAN",
    "MIN_READS",
    "RateKind",
    "StreamStats",
    "TurnFigures",
    "cut_off_line",
    "format_context",
    "format_live",
    "format_stats",
    "format_thought",
    "no_answer_line",
    "short_rate",
]

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
    thinking_tokens: int | None = None  # of ``tokens``; None when the model did not think
    thinking_seconds: float | None = None
    answer_at: float | None = None  # seconds from the request to the answer's first token
    prompt_tokens: int | None = None  # the server's count of the prompt, when it sent usage


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
        self.reasoning_tokens: int | None = None  # the server's count of thinking tokens
        self.server: ServerTimings | None = None
        # When thinking and answer began, and the deltas of each. Provisional text (see
        # ``reasoning``) is counted apart until it is known to be one or the other.
        self.thinking_at: float | None = None
        self.answer_at: float | None = None
        self.thinking_deltas = 0
        self._provisional_at: float | None = None
        self._provisional_deltas = 0

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

    def on_usage(
        self, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int | None = None
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.exact_tokens = completion_tokens
        if reasoning_tokens is not None:
            self.reasoning_tokens = reasoning_tokens

    def on_thinking_delta(self) -> None:
        """The last delta was thinking."""
        self.thinking_deltas += 1
        if self.thinking_at is None:
            self.thinking_at = self.last_token

    def on_answer_delta(self, provisional: bool = False) -> None:
        """The last delta was answer (``provisional``: it may still turn out thinking)."""
        if provisional:
            self._provisional_deltas += 1
            if self._provisional_at is None:
                self._provisional_at = self.last_token
        elif self.answer_at is None:
            self.answer_at = self.last_token

    def settle(self, is_answer: bool) -> None:
        """The provisional deltas were answer, or thinking."""
        if is_answer:
            if self.answer_at is None:
                self.answer_at = self._provisional_at
        else:
            self.thinking_deltas += self._provisional_deltas
            if self.thinking_at is None:
                self.thinking_at = self._provisional_at
        self._provisional_at, self._provisional_deltas = None, 0

    @property
    def is_thinking(self) -> bool:
        return self.thinking_at is not None and self.answer_at is None

    def thinking_seconds(self, now: float | None = None) -> float:
        """How long the model has thought (until its answer began)."""
        if self.thinking_at is None:
            return 0.0
        end = (
            self.answer_at
            if self.answer_at is not None
            else (now if now is not None else self._clock())
        )
        return max(0.0, end - self.thinking_at)

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

    def finish(
        self, local_count: int | None = None, local_thinking: int | None = None
    ) -> TurnFigures:
        """Freeze the figures; ``local_count`` replaces the delta count when no usage came.

        ``local_thinking`` is the thinking counted locally (``None``: the model did not
        think); it stands in for the server's count when the deltas cannot tell (a
        non-streamed answer).
        """
        whole = self.deltas <= 1
        if self.exact_tokens is None and local_count is not None and whole:
            # One delta is a whole non-streamed answer: count its text instead.
            self.deltas = local_count
            self.first_read_deltas = local_count
        duration = (self.last_token or self._clock()) - self.started
        rate, kind = self.rate()
        thinking: int | None = None
        if local_thinking is not None:
            thinking = self.reasoning_tokens
            if thinking is None and whole:
                thinking = local_thinking
            elif thinking is None:
                # The thinking's share of the deltas, of the exact count when there is one
                # (a chunk may carry several tokens).
                thinking = round(self.tokens * self.thinking_deltas / max(1, self.deltas))
            thinking = min(thinking, self.tokens)
        answer_at = None if self.answer_at is None else self.answer_at - self.started
        seconds = self.thinking_seconds(self.last_token) if thinking is not None else None
        return TurnFigures(
            self.tokens,
            duration,
            self.ttft,
            rate,
            self.exact_tokens is not None,
            kind,
            self.server,
            thinking,
            seconds,
            answer_at,
            self.prompt_tokens,
        )


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
    parts = [f"{stats.tokens} tokens", f"{now - stats.started:.1f}s"]
    if stats.tokens:  # no rate before the first token: "0.0 tok/s" says nothing true
        parts.append(_rate_text(rate, kind))
    if stats.ttft is not None:
        parts.append(f"TTFT {stats.ttft:.2f}s")
    if stats.is_thinking:
        parts.insert(0, "thinking")
    return " | ".join(parts)


def format_thought(seconds: float | None, tokens: int | None) -> str:
    """``Thought for 4.1s (312 tokens)``: the line a folded thought leaves.

    A thought whose time is not known (a whole answer at once) reads ``Thought (312 tokens)``.
    """
    count = "" if tokens is None else f" ({tokens} token{'' if tokens == 1 else 's'})"
    took = "" if seconds is None else f" for {seconds:.1f}s"
    return f"Thought{took}{count}"


def cut_off_line(max_output_tokens: int) -> str:
    """What to say when the output limit cut the answer off (``finish_reason: length``)."""
    return (
        f"The answer stopped at the output limit ({max_output_tokens} tokens); raise it "
        "with /config set MAX_OUTPUT_TOKENS N (or --max-tokens)."
    )


def no_answer_line(max_output_tokens: int) -> str:
    """What to say when the output limit ran out while the model was still thinking."""
    return (
        f"The model spent all {max_output_tokens} output tokens thinking and gave no "
        "answer. Raise the limit with /config set MAX_OUTPUT_TOKENS N (or --max-tokens), "
        "or ask it not to think with THINKING off."
    )


def format_context(messages: int, used: int, limit: int) -> str:
    """``Total: 4 msgs, ~312/12000 tokens``."""
    return f"Total: {messages} msgs, ~{used}/{limit} tokens"


def format_stats(figures: TurnFigures, context: str) -> str:
    """``Stats: 245 tokens in 3.8s (64.5 tok/s, TTFT 0.21s) | Total: 4 msgs, ~312/12000 tokens``.

    After thinking: ``Stats: 545 tokens (312 thinking) in 8.8s (64.5 tok/s, TTFT 0.21s,
    answer at 4.3s) | …``.

    A server-timed rate adds the server's prompt speed and cached prompt tokens.
    """
    detail = _rate_text(figures.tokens_per_second, figures.rate_kind)
    if figures.ttft is not None:
        detail += f", TTFT {figures.ttft:.2f}s"
    if figures.thinking_tokens is not None and figures.answer_at is not None:
        detail += f", answer at {figures.answer_at:.1f}s"
    server = figures.server
    if server is not None and server.prompt_per_second is not None:
        tokens = f"{server.prompt_tokens} tokens at " if server.prompt_tokens is not None else ""
        detail += f", prompt {tokens}{server.prompt_per_second:.1f} tok/s"
    if server is not None and server.cached_tokens:
        detail += f" ({server.cached_tokens} cached)"
    tokens = f"{figures.tokens} tokens"
    if figures.thinking_tokens is not None:
        tokens += f" ({figures.thinking_tokens} thinking)"
    return f"Stats: {tokens} in {figures.duration:.1f}s ({detail}) | {context}"


def short_rate(figures: TurnFigures) -> str:
    """The rate as the toolbar's ``last:`` part shows it."""
    return _rate_text(figures.tokens_per_second, figures.rate_kind)
