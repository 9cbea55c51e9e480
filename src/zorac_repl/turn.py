"""One turn: send the conversation, show the answer as it arrives, and keep the history whole.

The user's message is already in the conversation when a turn starts. A complete answer
is added after it; an interrupted or failed one is not, and the user's message is taken
back out and returned as the draft, so the next request never carries an orphan or a
duplicate. Cancelling the task that runs ``run_turn`` is how Ctrl+C stops an answer: the
cancellation closes the HTTP stream on its way out (the server then stops generating),
and the turn ends as ``interrupted`` instead of propagating it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal, assert_never

from zorac_repl.conversation import Conversation
from zorac_repl.errors import ZoracError
from zorac_repl.events import Finished, ReasoningDelta, ServerTimings, TextDelta, Usage
from zorac_repl.stats import StreamStats, TurnFigures
from zorac_repl.tokens import estimate_tokens

if TYPE_CHECKING:
    from zorac_repl.client import ChatClient, ChatRequest
    from zorac_repl.render.answer_view import AnswerView

__all__ = ["TurnOutcome", "TurnStatus", "run_turn"]

TurnStatus = Literal["complete", "interrupted", "failed"]


@dataclass(frozen=True, slots=True)
class TurnOutcome:
    """How a turn ended.

    Attributes:
        status: complete, interrupted (Ctrl+C) or failed (``error`` says why).
        text: the answer's text as far as it came.
        figures: tokens and timings, partial when the answer was cut short.
        finish_reason: the server's reason, e.g. ``length`` when max tokens was hit.
        draft: the user's message, given back when the turn did not complete.
    """

    status: TurnStatus
    text: str
    figures: TurnFigures
    finish_reason: str | None = None
    error: ZoracError | None = None
    draft: str | None = None


async def run_turn(client: ChatClient, conversation: Conversation, request: ChatRequest,
                   view: AnswerView, *, stream: bool = True,
                   clock: Callable[[], float] = time.perf_counter) -> TurnOutcome:
    """Ask for the answer to the conversation's last user message and show it in ``view``."""
    stats = StreamStats(clock)
    parts: list[str] = []
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
                        parts.append(text)
                        view.text(text)
                    case ReasoningDelta(text=text):
                        stats.on_delta()
                        view.reasoning(text)
                    case Usage(prompt_tokens=prompt, completion_tokens=completion):
                        stats.on_usage(prompt, completion)
                    case ServerTimings():
                        stats.on_server_timings(event)
                    case Finished(reason=reason):
                        finish_reason = reason
                    case _:
                        assert_never(event)
        else:
            completion_result = await client.complete(conversation.for_request(), request)
            stats.on_delta()
            if completion_result.usage is not None:
                usage = completion_result.usage
                stats.on_usage(usage.prompt_tokens, usage.completion_tokens)
            if completion_result.timings is not None:
                stats.on_server_timings(completion_result.timings)
            finish_reason = completion_result.finish_reason
            parts.append(completion_result.text)
            view.text(completion_result.text)
    except asyncio.CancelledError:
        status = "interrupted"
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    except ZoracError as exc:
        status, error = "failed", exc
    finally:
        await _end_view(view)
    text = "".join(parts)
    figures = stats.finish(local_count=estimate_tokens(text) if text else None)
    if status != "complete":
        return TurnOutcome(status, text, figures, finish_reason, error,
                           draft=conversation.rollback_user())
    exact_total = None
    if stats.prompt_tokens is not None and stats.exact_tokens is not None:
        exact_total = stats.prompt_tokens + stats.exact_tokens
    conversation.add_assistant(text, {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": request.model,
        "tokens": figures.tokens,
        "duration": round(figures.duration, 3),
        "ttft": None if figures.ttft is None else round(figures.ttft, 3),
    }, exact_total)
    return TurnOutcome(status, text, figures, finish_reason)


async def _end_view(view: AnswerView) -> None:
    """Let the view leave the answer in scrollback; Ctrl+C here only cuts short its wait.

    The view may be waiting for a resize to settle. The answer itself is whole by now.
    """
    try:
        await view.end()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
