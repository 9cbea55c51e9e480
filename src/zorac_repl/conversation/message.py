"""A message of the conversation, typed: who said it, what it holds, and an answer's figures.

A message is a dict only where it crosses a boundary: ``to_wire`` for the server,
``to_json`` and ``message_from_json`` for the session file. Everything between uses
these classes, and ``match`` on them.

The content of a user message is text or a tuple of parts. Text is the only kind of part
today; an attachment's image is another ``Part`` class, a tool's result another
``Message`` class, so each joins a union below and every ``match`` on it is checked by
mypy (``assert_never``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar, assert_never

__all__ = [
    "AnswerMeta",
    "AssistantMessage",
    "Message",
    "MessageShapeError",
    "Part",
    "TextPart",
    "UserMessage",
    "WireMessage",
    "headline",
    "message_from_json",
    "to_json",
    "to_wire",
]

# A message as the server takes it (wire-protocol §1): role and content, nothing of ours.
WireMessage = dict[str, str]
_T = TypeVar("_T")


class MessageShapeError(ValueError):
    """Saved JSON that is not a message this version can read."""


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text in a message whose content has several parts."""

    text: str


# The kinds of part a user message can hold; attachments add theirs here.
Part = TextPart


@dataclass(frozen=True, slots=True)
class AnswerMeta:
    """What is known of an answer beyond its text; never sent back to the server.

    Attributes:
        time: when it completed, ISO 8601 in UTC.
        model: the model that wrote it.
        tokens: its tokens (the server's count when it sent one).
        duration: seconds from the request to the last token.
        ttft: seconds to the first token.
        thinking: a reasoning model's thinking before the answer (``/think``).
        thinking_tokens: tokens spent thinking, when known.
        thinking_seconds: how long it thought.
        others: keys this version does not know, kept as they were for the next save.
    """

    time: str | None = None
    model: str | None = None
    tokens: int | None = None
    duration: float | None = None
    ttft: float | None = None
    thinking: str = ""
    thinking_tokens: int | None = None
    thinking_seconds: float | None = None
    others: tuple[tuple[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        """The saved form, keys in the order this version has always written them."""
        data: dict[str, object] = {
            "time": self.time,
            "model": self.model,
            "tokens": self.tokens,
            "duration": self.duration,
            "ttft": self.ttft,
        }
        if self.thinking:
            data.update(
                thinking=self.thinking,
                thinking_tokens=self.thinking_tokens,
                thinking_seconds=self.thinking_seconds,
            )
        data.update(self.others)
        return data

    def thought_figures(self) -> list[str]:
        """``["312 tokens", "4.1s"]``: what is known of the thinking's size and length."""
        figures = [] if self.thinking_tokens is None else [f"{self.thinking_tokens} tokens"]
        if self.thinking_seconds:
            figures.append(f"{self.thinking_seconds:.1f}s")
        return figures

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> AnswerMeta:
        """Read saved metadata; a known key of the wrong type counts as absent."""
        known = {"time", "model", "tokens", "duration", "ttft", "thinking"}
        known |= {"thinking_tokens", "thinking_seconds"}
        return cls(
            time=_of(data.get("time"), str),
            model=_of(data.get("model"), str),
            tokens=_whole(data.get("tokens")),
            duration=_number(data.get("duration")),
            ttft=_number(data.get("ttft")),
            thinking=_of(data.get("thinking"), str) or "",
            thinking_tokens=_whole(data.get("thinking_tokens")),
            thinking_seconds=_number(data.get("thinking_seconds")),
            others=tuple((key, value) for key, value in data.items() if key not in known),
        )


@dataclass(frozen=True, slots=True)
class UserMessage:
    """What the user sent."""

    content: str | tuple[Part, ...]
    role: Literal["user"] = "user"

    @property
    def text(self) -> str:
        """The content as text: its text parts joined."""
        if isinstance(self.content, str):
            return self.content
        return "\n\n".join(part.text for part in self.content)


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    """A complete answer: its text (never the thinking) and what is known of it."""

    content: str
    meta: AnswerMeta | None = None
    role: Literal["assistant"] = "assistant"

    @property
    def text(self) -> str:
        return self.content


# Every kind of message in the history; tool calls and results add theirs here.
Message = UserMessage | AssistantMessage


def to_wire(message: Message) -> WireMessage:
    """The message as the server takes it: role and content, no metadata."""
    return {"role": message.role, "content": message.text}


def to_json(message: Message) -> dict[str, object]:
    """The saved form of ``message``."""
    match message:
        case UserMessage():
            return {"role": "user", "content": message.text}
        case AssistantMessage():
            data: dict[str, object] = {"role": "assistant", "content": message.content}
            if message.meta is not None:
                data["meta"] = message.meta.to_json()
            return data
        case _:
            assert_never(message)


def message_from_json(data: object) -> Message:
    """A saved message.

    Raises:
        MessageShapeError: it is not a user or an assistant message with text.
    """
    if not isinstance(data, Mapping):
        raise MessageShapeError("it is not an object")
    role, content, meta = data.get("role"), data.get("content"), data.get("meta", {})
    if not isinstance(content, str) or not isinstance(meta, Mapping):
        raise MessageShapeError("it has no text, or its metadata is not an object")
    if role == "user":
        return UserMessage(content)
    if role == "assistant":
        return AssistantMessage(content, AnswerMeta.from_json(meta) if "meta" in data else None)
    raise MessageShapeError("it is not a user or assistant message")


def headline(text: str, width: int) -> str:
    """The first non-blank line of ``text``, cut to ``width`` characters with an ellipsis."""
    stripped = text.strip()
    line = stripped.splitlines()[0] if stripped else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _of(value: object, kind: type[_T]) -> _T | None:
    return value if isinstance(value, kind) else None


# A count or a figure read from a file is believed only within these: a hand-edited or
# hostile file must not show "~-1000000000 tokens".
MOST_TOKENS = 10**9
_MOST_SECONDS = 10.0**7


def _whole(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MOST_TOKENS else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if 0 <= value <= _MOST_SECONDS else None
