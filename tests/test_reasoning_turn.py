"""A reasoning model's turn through real HTTP: every wire shape, kept apart, never sent back."""

from __future__ import annotations

import asyncio

import pytest

from tests.helpers import client_for
from zorac_repl.chat.turn import TurnOutcome, run_turn
from zorac_repl.conversation.history import Conversation
from zorac_repl.server.client import ChatRequest
from zorac_repl.stats import StreamStats, format_stats

MODEL = "Qwen/Qwen3-8B"
SHAPES = ["reasoning", "reasoning_content", "tags", "close"]


class ThoughtView:
    """An AnswerView that keeps the thinking and the answer it was shown, as a screen would."""

    def __init__(self) -> None:
        self.thinking: list[str] = []
        self.answer: list[str] = []
        self.provisional: list[str] = []
        self.events: list[str] = []
        self.status = ""

    def begin(self, stats: StreamStats) -> None:
        pass

    def text(self, delta: str, provisional: bool = False) -> None:
        (self.provisional if provisional else self.answer).append(delta)
        self.events.append("provisional" if provisional else "answer")

    def settle(self, is_answer: bool) -> None:
        if is_answer:
            self.answer += self.provisional
        self.provisional.clear()
        self.events.append(f"settle:{is_answer}")

    def reasoning(self, delta: str) -> None:
        self.thinking.append(delta)
        self.events.append("thinking")

    async def end(self, status: str = "complete") -> None:
        self.status = status


def _turn(
    server,
    conversation: Conversation,
    request: ChatRequest | None = None,
    stream: bool = True,
    view: ThoughtView | None = None,
) -> tuple[TurnOutcome, ThoughtView]:
    view = view or ThoughtView()

    async def run() -> TurnOutcome:
        async with client_for(server) as client:
            return await run_turn(
                client, conversation, request or ChatRequest(MODEL, 0.1, 4000), view, stream=stream
            )

    return asyncio.run(run()), view


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_keeps_thinking_apart_and_never_sends_it_back(server, shape, stream):
    conversation = Conversation()
    conversation.add_user(f"Explain batching [[think=40 via={shape} chunk=3 tokens=60]]")
    outcome, view = _turn(server, conversation, stream=stream)
    record = server.chat_requests()[-1]
    assert outcome.status == "complete" and view.status == "complete"
    thought = outcome.thinking
    assert thought and len(thought.split()) > 5
    assert "<think>" not in outcome.text and "</think>" not in outcome.text
    assert outcome.text.startswith("#")  # the answer, from its first character
    assert "".join(view.answer) == outcome.text
    assert "".join(view.thinking).strip() == thought
    if shape in ("reasoning", "reasoning_content"):
        assert record.served_reasoning.strip() == thought
    else:
        assert thought in record.served_text and record.served_text.endswith(outcome.text)
    answer = conversation.messages[-1]
    assert answer.content == outcome.text and answer.meta.thinking == thought
    assert outcome.figures.thinking_tokens and outcome.figures.thinking_tokens > 20
    # The next request carries the answer only.
    conversation.add_user("And then? [[tokens=5]]")
    _turn(server, conversation, stream=stream)
    sent = server.chat_requests()[-1].messages
    assert sent[-2] == {"role": "assistant", "content": outcome.text}
    assert all(thought not in str(m["content"]) for m in sent)


def test_stats_split_thinking_from_the_answer(server):
    conversation = Conversation()
    conversation.add_user("Go [[think=50 tokens=40 rate=400]]")
    outcome, _ = _turn(server, conversation)
    figures = outcome.figures
    assert figures.thinking_tokens == 50  # the server's completion_tokens_details
    assert figures.answer_at is not None and figures.ttft is not None
    assert figures.answer_at > figures.ttft
    assert figures.thinking_seconds is not None and figures.thinking_seconds > 0.05
    line = format_stats(figures, "Total: 2 msgs")
    assert f"{figures.tokens} tokens (50 thinking) in" in line
    assert f", answer at {figures.answer_at:.1f}s)" in line


def test_the_exact_count_leaves_the_thinking_out(server):
    conversation = Conversation()
    conversation.add_user("Count [[think=300 tokens=20]]")
    outcome, _ = _turn(server, conversation)
    assert conversation.is_exact
    # The prompt and the answer, not the 300 tokens of thinking that will not be sent.
    usage_total = conversation.token_count()
    without = Conversation(messages=list(conversation.messages))  # counted locally
    assert abs(usage_total - without.token_count()) < 40
    assert outcome.figures.tokens - outcome.figures.thinking_tokens < usage_total


def test_tags_without_usage_details_count_only_the_prompt_exactly(server):
    conversation = Conversation()
    conversation.add_user("Count [[think=300 via=tags tokens=20]]")
    _turn(server, conversation)
    assert not conversation.is_exact  # the answer is counted locally, the thinking not at all
    assert conversation.token_count() < 200


def test_provisional_text_that_was_not_thinking_is_the_answer(server):
    conversation = Conversation()
    conversation.add_user("Plain answer please [[paragraphs=2]]")
    outcome, view = _turn(server, conversation)
    assert outcome.thinking == "" and outcome.text == server.chat_requests()[-1].served_text
    assert view.events[0] == "provisional" and "settle:True" in view.events
    assert conversation.messages[-1].meta is not None
    assert not conversation.messages[-1].meta.thinking


def test_closing_tag_retracts_the_provisional_text(server):
    conversation = Conversation()
    conversation.add_user("Think first [[think=30 via=close]]")
    outcome, view = _turn(server, conversation)
    assert view.events[0] == "provisional"
    assert "settle:False" in view.events
    assert view.events.index("settle:False") < view.events.index("thinking")
    assert outcome.thinking and outcome.text.startswith("#")


def test_thinking_that_uses_up_the_output_limit_is_not_kept(server):
    conversation = Conversation()
    conversation.add_user("Think hard [[think=500]]")
    outcome, view = _turn(server, conversation, ChatRequest(MODEL, 0.1, 100))
    assert outcome.status == "unanswered" and view.status == "unanswered"
    assert outcome.finish_reason == "length" and outcome.thinking
    assert outcome.draft == "Think hard [[think=500]]"
    assert conversation.messages == []


def test_thinking_controls_reach_the_request_body(server):
    conversation = Conversation()
    conversation.add_user("Quick [[think=40]]")
    outcome, _ = _turn(server, conversation, ChatRequest(MODEL, 0.1, 4000, "off", "low"))
    body = server.chat_requests()[-1].body
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["reasoning_effort"] == "low"
    assert outcome.thinking == ""  # the template was told not to think
    conversation.add_user("Again [[tokens=5]]")
    _turn(server, conversation, ChatRequest(MODEL, 0.1, 4000, "on", "auto"))
    body = server.chat_requests()[-1].body
    assert body["chat_template_kwargs"] == {"enable_thinking": True}
    assert "reasoning_effort" not in body
    conversation.add_user("Plain [[tokens=5]]")
    _turn(server, conversation)
    body = server.chat_requests()[-1].body
    assert "chat_template_kwargs" not in body and "reasoning_effort" not in body


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "whole"])
def test_a_server_that_refuses_a_control_names_the_setting(server, stream):
    conversation = Conversation()
    conversation.add_user("Hi [[strict]]")
    outcome, _ = _turn(
        server, conversation, ChatRequest(MODEL, 0.1, 4000, "auto", "high"), stream=stream
    )
    assert outcome.status == "failed"
    message = str(outcome.error)
    assert "reasoning_effort" in message and "/config set REASONING_EFFORT auto" in message
    assert "THINKING" not in message and "\n" not in message
