"""Summarizing older messages so a long conversation fits the token budget.

The recent messages are kept word for word; the older ones (and any earlier summary)
are replaced by one summary the model writes. Nothing changes until the summary has
arrived whole: a failed or cancelled summarization leaves the conversation as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AssistantMessage, ToolMessage, UserMessage

if TYPE_CHECKING:
    from zorac_repl.server.client import ChatClient, ChatRequest

__all__ = ["Summarized", "older_message_count", "summarize"]

_INSTRUCTION = (
    "Summarize the conversation above for your own later use. Keep the user's goals, "
    "facts, names, numbers, decisions, code identifiers and open questions; drop "
    "pleasantries. Write it as compact Markdown notes, in the conversation's language."
)
SUMMARY_MAX_TOKENS = 1000


def summary_token_limit(budget: int) -> int:
    """How long a summary may be: a fifth of the budget, so it leaves room, at most 1000."""
    return max(64, min(SUMMARY_MAX_TOKENS, budget // 5))


@dataclass(frozen=True, slots=True)
class Summarized:
    """A summarization that took effect.

    Attributes:
        replaced: how many messages the summary replaced.
        before: tokens in the context before.
        after: tokens in the context after.
    """

    replaced: int
    before: int
    after: int


def older_message_count(conversation: Conversation, keep_recent: int) -> int:
    """How many leading messages to summarize, keeping at least ``keep_recent``.

    The kept part must start with a user message, so the history after the summary is
    well-formed (no assistant message first, no two user messages in a row).
    """
    messages = conversation.messages
    cut = max(0, len(messages) - keep_recent)
    while 0 < cut < len(messages) and not isinstance(messages[cut], UserMessage):
        cut -= 1  # keep the question with its answer
    return cut


def _transcript(conversation: Conversation, count: int) -> str:
    parts = []
    if conversation.summary:
        parts.append(f"(Summary of what came before)\n{conversation.summary}")
    for message in conversation.messages[:count]:
        if isinstance(message, ToolMessage):
            # A line for what a tool said: the summary keeps that it ran, not its output.
            parts.append(
                f"(Tool {message.server} {message.tool}: {message.status}, "
                f"{len(message.content)} characters)"
            )
            continue
        speaker = "User" if isinstance(message, UserMessage) else "Assistant"
        text = f"{speaker}: {message.text}"
        if isinstance(message, AssistantMessage) and message.tool_calls:
            text += "\n(called " + ", ".join(c.name for c in message.tool_calls) + ")"
        if isinstance(message, UserMessage) and message.attachments:
            # A line that says what was attached; the summary never carries the bytes.
            text += f"\n({message.attachment_line()})"
        parts.append(text)
    return "\n\n".join(parts)


async def summarize(
    client: ChatClient,
    conversation: Conversation,
    request: ChatRequest,
    keep_recent: int,
    max_tokens: int = SUMMARY_MAX_TOKENS,
) -> Summarized | None:
    """Replace the older messages with a summary the model writes, at most ``max_tokens`` long.

    Returns ``None`` when there is nothing old enough to summarize.

    Raises:
        ZoracError: the request failed; the conversation is unchanged.
        asyncio.CancelledError: cancelled (Ctrl+C); the conversation is unchanged.
    """
    from zorac_repl.errors import ServerError
    from zorac_repl.server.client import ChatRequest as Request

    count = older_message_count(conversation, keep_recent)
    if count == 0:
        return None
    before = conversation.token_count()
    messages = [
        {"role": "system", "content": "You write faithful, compact summaries."},
        {"role": "user", "content": f"{_transcript(conversation, count)}\n\n---\n{_INSTRUCTION}"},
    ]
    result = await client.complete(
        messages, Request(request.model, 0.2, min(max_tokens, request.max_tokens))
    )
    text = result.text.strip()
    if not text:
        raise ServerError("The server returned an empty summary.")
    conversation.replace_older(count, text)
    return Summarized(count, before, conversation.token_count())
