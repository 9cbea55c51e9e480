"""A turn keeps the conversation whole: complete answers are added, others are rolled back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from tests.helpers import client_for
from zorac_repl.chat.turn import TurnOutcome, run_turn
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.server.client import ChatRequest
from zorac_repl.stats import StreamStats, format_live, format_stats

MODEL = "Qwen/Qwen3-8B"


class RecordingView:
    """An AnswerView that keeps what it was shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.ended = False

    def begin(self, stats: StreamStats) -> None:
        pass

    def text(self, delta: str, provisional: bool = False) -> None:
        self.shown.append(delta)

    def settle(self, is_answer: bool) -> None:
        pass

    def reasoning(self, delta: str) -> None:
        pass

    async def end(self, status: str = "complete") -> None:
        self.ended = True


def test_complete_turn_adds_the_answer_with_metadata(fresh_requests):
    conversation = Conversation()
    conversation.add_user("Explain paged attention")
    view = RecordingView()

    async def run() -> object:
        async with client_for(fresh_requests) as client:
            return await run_turn(client, conversation, ChatRequest(MODEL, 0.1, 4000), view)

    outcome = asyncio.run(run())
    assert outcome.status == "complete" and view.ended
    served = fresh_requests.chat_requests()[-1].served_text
    assert "".join(view.shown) == outcome.text == served
    assert [m.role for m in conversation.messages] == ["user", "assistant"]
    meta = conversation.messages[-1].meta
    assert meta.model == MODEL and meta.tokens == outcome.figures.tokens > 0
    assert outcome.figures.is_exact  # the server's usage was used


async def _turn_cancelled_at(
    server, conversation: Conversation, view: RecordingView, moment: Callable[[], Awaitable[object]]
) -> TurnOutcome:
    """Run a turn and cancel it, as Ctrl+C does, once ``moment`` has come."""
    async with client_for(server) as client:
        task = asyncio.ensure_future(
            run_turn(client, conversation, ChatRequest(MODEL, 0.1, 4000), view)
        )
        await moment()
        task.cancel()
        return await task


def test_cancelled_turn_rolls_back_and_returns_the_draft(fresh_requests):
    conversation = Conversation()
    conversation.add_user("earlier")
    conversation.add_assistant("answer", AnswerMeta())
    conversation.add_user("stop me [[tokens=3000 rate=300]]")
    view = RecordingView()

    async def first_text() -> None:
        while not view.shown:
            await asyncio.sleep(0.01)

    outcome = asyncio.run(_turn_cancelled_at(fresh_requests, conversation, view, first_text))
    assert outcome.status == "interrupted" and outcome.draft == "stop me [[tokens=3000 rate=300]]"
    assert outcome.text and view.ended
    assert [m.text for m in conversation.messages] == ["earlier", "answer"]
    assert fresh_requests.chat_requests()[-1].finished.wait(5)
    assert fresh_requests.chat_requests()[-1].disconnected_before_done


class ResizingView(RecordingView):
    """A view that, as the answer ends, waits for the terminal's width to settle."""

    def __init__(self) -> None:
        super().__init__()
        self.ending = asyncio.Event()

    async def end(self, status: str = "complete") -> None:
        self.ending.set()
        await asyncio.Event().wait()  # the width never settles


def test_ctrl_c_while_the_view_waits_for_a_resize_keeps_the_whole_answer(fresh_requests):
    conversation = Conversation()
    conversation.add_user("hello")
    view = ResizingView()
    outcome = asyncio.run(_turn_cancelled_at(fresh_requests, conversation, view, view.ending.wait))
    assert outcome.status == "complete"
    assert outcome.text == fresh_requests.chat_requests()[-1].served_text
    assert [m.role for m in conversation.messages] == ["user", "assistant"]


def test_failed_turn_rolls_back_and_keeps_the_error(server):
    conversation = Conversation()
    conversation.add_user("hello")

    async def run() -> object:
        async with client_for(server) as client:
            return await run_turn(
                client, conversation, ChatRequest("nope", 0.1, 10), RecordingView()
            )

    outcome = asyncio.run(run())
    assert outcome.status == "failed" and outcome.draft == "hello"
    assert "does not exist" in str(outcome.error)
    assert conversation.messages == []


def test_stats_use_the_injected_clock_and_read_as_documented():
    now = [100.0]
    stats = StreamStats(clock=lambda: now[0])
    now[0] = 100.21
    stats.on_delta()
    for _ in range(244):
        now[0] += 0.0147
        stats.on_delta()
    stats.on_usage(67, 245)
    figures = stats.finish()
    assert figures.tokens == 245 and figures.is_exact
    assert round(figures.ttft or 0, 2) == 0.21
    line = format_stats(figures, "Total: 4 msgs, ~312/12000 tokens")
    assert line == (
        "Stats: 245 tokens in 3.8s (68.0 tok/s, TTFT 0.21s) | Total: 4 msgs, ~312/12000 tokens"
    )
    assert format_live(stats).startswith("245 tokens | 3.8s | ")
