"""Reading a saved conversation: its shape checked, old forms brought up to date.

A file that is valid JSON but not a conversation this version can read raises
``ShapeError``, and nothing in memory changes; thinking that older versions kept inside
answers (``<think>``) moves to the answers' metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from zorac_repl.conversation.message import (
    MOST_TOKENS,
    AnswerMeta,
    AssistantMessage,
    Message,
    MessageShapeError,
    message_from_json,
)
from zorac_repl.conversation.reasoning import split_saved

__all__ = ["FORMAT_VERSION", "ShapeError", "checked"]

FORMAT_VERSION = 1


class ShapeError(ValueError):
    """Saved data that is valid JSON but not a conversation this version can read."""


def checked(
    data: object, load_image: Callable[[str], bytes] | None = None
) -> tuple[list[Message], str | None, tuple[int, int] | None]:
    if not isinstance(data, Mapping):
        raise ShapeError("it is not a JSON object")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise ShapeError(f"format version {version!r} is not {FORMAT_VERSION}")
    summary = data.get("summary")
    if summary is not None and not isinstance(summary, str):
        raise ShapeError("its summary is not text")
    raw = data.get("messages")
    if not isinstance(raw, list):
        raise ShapeError("it has no message list")
    messages: list[Message] = []
    for index, message in enumerate(raw):
        try:
            messages.append(message_from_json(message, load_image))
        except MessageShapeError:
            raise ShapeError(f"message {index + 1} is not a user or assistant message") from None
    cleaned = _thinking_moved_to_meta(messages)
    exact = None
    raw_exact = data.get("exact_tokens")
    if isinstance(raw_exact, Mapping):
        total, covered = raw_exact.get("total"), raw_exact.get("messages")
        if (
            isinstance(total, int)
            and isinstance(covered, int)
            and 0 < total <= MOST_TOKENS
            and 0 < covered <= len(messages)
        ):
            exact = (total, covered)
    if cleaned:
        exact = None  # the server counted the thinking that is no longer sent
    return messages, summary, exact


def _thinking_moved_to_meta(messages: list[Message]) -> bool:
    """Move ``<think>`` text that older versions kept in answers into their metadata.

    Only the copy in memory changes: the file is rewritten at the next save, like any
    change. Returns whether any answer changed.
    """
    changed = False
    for index, message in enumerate(messages):
        if not isinstance(message, AssistantMessage) or "</think>" not in message.content:
            continue
        thinking, answer = split_saved(message.content)
        if thinking:
            meta = replace(message.meta or AnswerMeta(), thinking=thinking)
            messages[index] = AssistantMessage(answer, meta)
            changed = True
    return changed
