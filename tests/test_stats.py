"""Which rate the figures show: never one the timing cannot support (stats.py's rule)."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import client_for
from tests.test_turn import RecordingView
from zorac_repl.chat.turn import run_turn
from zorac_repl.conversation.history import Conversation
from zorac_repl.events import ServerTimings
from zorac_repl.server.client import ChatRequest
from zorac_repl.stats import MIN_DECODE_SPAN, MIN_READS, StreamStats, format_stats

# One read: the time since the previous one (or since the request), and its deltas.
_reads = st.lists(st.tuples(st.floats(0.0, 0.5), st.integers(1, 400)), min_size=1, max_size=40)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _stream(reads: list[tuple[float, int]], usage: int | None) -> tuple[StreamStats, float]:
    clock = _Clock()
    stats = StreamStats(clock)
    started = clock.now
    for gap, deltas in reads:
        clock.now += gap
        for _ in range(deltas):
            stats.on_delta()  # one read's deltas are handled back to back
    if usage is not None:
        stats.on_usage(10, usage)
    return stats, clock.now - started


@settings(max_examples=400, deadline=None)
@given(_reads, st.one_of(st.none(), st.integers(1, 20000)))
def test_no_rate_exceeds_what_the_timing_supports(reads, usage):
    stats, to_last = _stream(reads, usage)
    figures = stats.finish()
    rate, kind = figures.tokens_per_second, figures.rate_kind
    end_to_end = figures.tokens / to_last if to_last > 0 else 0.0
    assert kind in ("decode", "end-to-end")
    if kind == "end-to-end":
        assert rate <= end_to_end * (1 + 1e-9)
        return
    # A decode rate needs a span and reads enough to time, and counts only what came in it.
    span = stats.last_token - stats.first_token
    later_reads = [deltas for gap, deltas in reads[1:] if gap > 0]
    assert span >= MIN_DECODE_SPAN and len(later_reads) + 1 >= MIN_READS
    assert rate <= figures.tokens / span * (1 + 1e-9)


@given(
    st.lists(st.integers(1, 500), min_size=1, max_size=MIN_READS - 1),
    st.floats(0.0, 5.0),
    st.floats(0.0, 5.0),
)
def test_an_answer_in_a_few_reads_shows_its_end_to_end_rate(sizes, ttft, gap):
    reads = [(ttft, sizes[0]), *((gap, size) for size in sizes[1:])]
    figures = _stream(reads, None)[0].finish()
    assert figures.rate_kind == "end-to-end"


def test_a_burst_in_one_read_is_not_a_hundred_thousand_tokens_a_second():
    stats, _ = _stream([(0.2, 1), (0.0, 299)], None)  # 300 tokens, the last 299 at once
    figures = stats.finish()
    line = format_stats(figures, "Total: 2 msgs, ~400/28768 tokens")
    assert figures.rate_kind == "end-to-end" and round(figures.tokens_per_second) == 1500
    assert "(1500.0 tok/s end-to-end, TTFT 0.20s)" in line


def test_the_servers_own_timings_win_and_read_as_the_servers():
    stats, _ = _stream([(0.1, 1), (0.001, 5)], 6)
    stats.on_server_timings(ServerTimings(42.7, 341.9, 12, 30))
    figures = stats.finish()
    assert (figures.rate_kind, figures.tokens_per_second) == ("server", 42.7)
    assert format_stats(figures, "T").startswith(
        "Stats: 6 tokens in 0.1s (42.7 tok/s by the server, TTFT 0.10s, prompt 12 tokens at "
        "341.9 tok/s (30 cached)) | T"
    )


def _figures_from(server, message: str, stream: bool = True):
    conversation = Conversation()
    conversation.add_user(message)

    async def ask():
        async with client_for(server) as client:
            return await run_turn(
                client,
                conversation,
                ChatRequest(server.model, 0.1, 500),
                RecordingView(),
                stream=stream,
            )

    return asyncio.run(ask()).figures


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_llama_cpp_timings_from_the_wire_are_used(fresh_requests, stream):
    figures = _figures_from(fresh_requests, "hi [[tokens=20 timings=42.7 cached=5]]", stream)
    assert figures.rate_kind == "server" and figures.tokens_per_second == 42.7
    assert figures.server is not None and figures.server.cached_tokens == 5
    assert "42.7 tok/s by the server" in format_stats(figures, "T")


def test_a_fast_short_answer_over_the_wire_shows_an_end_to_end_rate(fresh_requests):
    figures = _figures_from(fresh_requests, "hi [[tokens=30]]")
    assert figures.rate_kind == "end-to-end"
    assert figures.tokens_per_second <= figures.tokens / figures.duration * (1 + 1e-9)


def test_the_live_toolbar_shows_no_rate_before_the_first_token():
    from zorac_repl.stats import StreamStats, format_live

    now = [100.0]
    stats = StreamStats(clock=lambda: now[0])
    now[0] += 2.0
    assert "tok/s" not in format_live(stats)


def test_toolbar_fields_are_dropped_whole_least_missed_first():
    from zorac_repl.repl.toolbar import fit_fields

    fields = [
        (0, "Qwen/Qwen3-8B"),
        (2, "last: 112 tokens, 79.9 tok/s"),
        (1, "~775/28768 tokens"),
        (3, "4 msgs"),
    ]
    assert fit_fields(fields, 200) == (
        " Qwen/Qwen3-8B | last: 112 tokens, 79.9 tok/s | ~775/28768 tokens | 4 msgs "
    )
    assert (
        fit_fields(fields, 70)
        == " Qwen/Qwen3-8B | last: 112 tokens, 79.9 tok/s | ~775/28768 tokens "
    )
    assert fit_fields(fields, 40) == " Qwen/Qwen3-8B | ~775/28768 tokens "
    assert fit_fields(fields, 10) == " Qwen/Qwe…"  # alone, it is cut to fit
