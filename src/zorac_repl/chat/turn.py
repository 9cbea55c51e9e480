"""One turn: send the conversation, show the answer as it arrives, and keep the history whole.

The user's message is already in the conversation when a turn starts. A complete answer
is added after it; an interrupted or failed one is not, and the user's message is taken
back out and returned as the draft, so the next request never carries an orphan or a
duplicate. Cancelling the task that runs ``run_turn`` is how Ctrl+C stops an answer: the
cancellation closes the HTTP stream on its way out (the server then stops generating),
and the turn ends as ``interrupted`` instead of propagating it.

A reasoning model's thinking (a reasoning field, or ``<think>`` tags in the content: see
``reasoning``) is shown apart and kept in the answer's metadata for ``/think``, never
in the text sent back. An answer that is only thinking (the output limit ran out first)
is not kept either: the message comes back as the draft.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, assert_never

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.conversation.reasoning import (
    AnswerText,
    Confirmed,
    Piece,
    Retracted,
    SortedText,
    ThinkSplitter,
    Thought,
)
from zorac_repl.conversation.tool_calls import ToolCall, ToolCallGatherer
from zorac_repl.errors import ZoracError
from zorac_repl.events import (
    Finished,
    ReasoningDelta,
    ServerTimings,
    TextDelta,
    ToolCallDelta,
    Usage,
)
from zorac_repl.stats import StreamStats, TurnFigures
from zorac_repl.tokens import estimate_tokens

if TYPE_CHECKING:
    from zorac_repl.render.answer_view import AnswerView
    from zorac_repl.server.client import ChatClient, ChatRequest

__all__ = ["TurnOutcome", "TurnStatus", "run_turn"]

TurnStatus = Literal["complete", "unanswered", "interrupted", "failed"]


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """How a turn ended.

    Attributes:
        status: complete; unanswered (the model only thought: its output limit ran out
            before the answer began); interrupted (Ctrl+C); or failed (``error`` says why).
        text: the answer's text as far as it came, without the thinking.
        figures: tokens and timings, partial when the answer was cut short.
        finish_reason: the server's reason, e.g. ``length`` when max tokens was hit.
        draft: the user's message, given back when the turn did not complete.
        thinking: what the model thought before answering, if it did.
        tool_calls: the calls the model asked for, gathered whatever the server's shape.
    """

    status: TurnStatus
    text: str
    figures: TurnFigures
    finish_reason: str | None = None
    error: ZoracError | None = None
    draft: str | None = None
    thinking: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


class _Parts:
    """Sorts what arrives into thinking and answer, for the view, the stats and the history."""

    def __init__(self, view: AnswerView, stats: StreamStats) -> None:
        self._view = view
        self._stats = stats
        self._splitter = ThinkSplitter()
        self.sorted = SortedText()

    def reasoning(self, text: str) -> None:
        """Thinking from a reasoning field: a parser is at work, the content is answer."""
        self._apply(self._splitter.reasoning_field_seen())
        self.sorted.thinking.append(text)
        self._view.reasoning(text)
        self._stats.on_thinking_delta()

    def content(self, text: str) -> None:
        self._apply(self._splitter.feed(text))
        phase = self._splitter.phase
        if phase == "thinking":
            self._stats.on_thinking_delta()
        else:
            self._stats.on_answer_delta(provisional=phase == "provisional")

    def finish(self) -> None:
        self._apply(self._splitter.finish())

    def _apply(self, pieces: list[Piece]) -> None:
        for piece in pieces:
            self.sorted.add(piece)
            match piece:
                case Thought(text=text):
                    self._view.reasoning(text)
                case AnswerText(text=text, provisional=provisional):
                    self._view.text(text, provisional=provisional)
                case Confirmed():
                    self._stats.settle(is_answer=True)
                    self._view.settle(is_answer=True)
                case Retracted():
                    self._stats.settle(is_answer=False)
                    self._view.settle(is_answer=False)
                case _:
                    assert_never(piece)


async def run_turn(
    client: ChatClient,
    conversation: Conversation,
    request: ChatRequest,
    view: AnswerView,
    *,
    stream: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> TurnOutcome:
    """Ask for the answer to the conversation's last user message and show it in ``view``."""
    stats = StreamStats(clock)
    parts = _Parts(view, stats)
    calls = ToolCallGatherer()
    finish_reason: str | None = None
    status: TurnStatus = "complete"
    error: ZoracError | None = None
    view.begin(stats)
    try:
        if stream:
            async for event in client.stream(conversation.for_request(), request):
                match event:
                    case TextDelta(text=text):
                        stats.on_delta()
                        parts.content(text)
                    case ReasoningDelta(text=text):
                        stats.on_delta()
                        parts.reasoning(text)
                    case Usage(
                        prompt_tokens=prompt,
                        completion_tokens=completion,
                        reasoning_tokens=reasoning,
                    ):
                        stats.on_usage(prompt, completion, reasoning)
                    case ServerTimings():
                        stats.on_server_timings(event)
                    case ToolCallDelta():
                        calls.add(event)
                    case Finished(reason=reason):
                        finish_reason = reason
                    case _:
                        assert_never(event)
        else:
            result = await client.complete(conversation.for_request(), request)
            stats.on_delta()
            if result.usage is not None:
                usage = result.usage
                stats.on_usage(usage.prompt_tokens, usage.completion_tokens, usage.reasoning_tokens)
            if result.timings is not None:
                stats.on_server_timings(result.timings)
            finish_reason = result.finish_reason
            if result.reasoning:
                parts.reasoning(result.reasoning)
            for call in result.tool_calls:
                calls.add(call)
            parts.content(result.text)
        parts.finish()
    except asyncio.CancelledError:
        status = "interrupted"
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    except ZoracError as exc:
        status, error = "failed", exc
    except BaseException:
        await _end_view(view, "failed")
        raise
    thinking = "".join(parts.sorted.thinking).strip()
    sorted_text = parts.sorted
    text = "".join(sorted_text.answer) if status == "complete" else sorted_text.answer_so_far()
    # Calls gathered only when tools were offered: no call is kept without its result.
    tool_calls = calls.calls() if request.tools else ()
    if status == "complete" and thinking and not text.strip() and not tool_calls:
        status = "unanswered"
    await _end_view(view, status)
    figures = stats.finish(
        local_count=estimate_tokens(text + thinking) or None,
        local_thinking=estimate_tokens(thinking) if thinking else None,
    )
    if status != "complete":
        return TurnOutcome(
            status,
            text,
            figures,
            finish_reason,
            error,
            draft=conversation.rollback_user(),
            thinking=thinking,
        )
    # The thinking is kept with the answer for /think, never sent back (``to_wire``).
    meta = AnswerMeta(
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        model=request.model,
        tokens=figures.tokens,
        duration=round(figures.duration, 3),
        ttft=None if figures.ttft is None else round(figures.ttft, 3),
        thinking=thinking,
        thinking_tokens=figures.thinking_tokens if thinking else None,
        thinking_seconds=round(figures.thinking_seconds or 0.0, 3) if thinking else None,
    )
    conversation.add_assistant(text, meta, _exact_context(stats, thinking), tool_calls)
    return TurnOutcome(
        status, text, figures, finish_reason, thinking=thinking, tool_calls=tool_calls
    )


def _exact_context(stats: StreamStats, thinking: str) -> tuple[int, bool] | None:
    """The server's exact count of the context now, and whether it covers the answer.

    The thinking is not sent back, so its tokens leave the count: exactly when the server
    said how many there were; otherwise the count covers the prompt only.
    """
    prompt, completion = stats.prompt_tokens, stats.exact_tokens
    if prompt is None or completion is None:
        return None
    if not thinking:
        return prompt + completion, True
    if stats.reasoning_tokens is not None:
        return prompt + completion - stats.reasoning_tokens, True
    return prompt, False


async def _end_view(view: AnswerView, status: TurnStatus) -> None:
    """Let the view leave the answer in scrollback; Ctrl+C here only cuts short its wait.

    The view may be waiting for a resize to settle. The answer itself is whole by now.
    """
    try:
        await view.end(status)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
