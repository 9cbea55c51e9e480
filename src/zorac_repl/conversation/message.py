"""A message of the conversation, typed: who said it, what it holds, and an answer's figures.

A message is a dict only where it crosses a boundary: ``to_wire`` for the server,
``to_json`` and ``message_from_json`` for the session file. Everything between uses
these classes, and ``match`` on them.

The content of a user message is text or a tuple of parts (``parts.py``): what the user
typed, an attached file's text, an image. A tool's result will be another ``Message``
class, so each joins a union below and every ``match`` on it is checked by mypy
(``assert_never``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, assert_never

from zorac_repl.conversation.parts import (
    Attachment,
    FilePart,
    ImagePart,
    Part,
    PartShapeError,
    TextPart,
    part_from_json,
    part_json,
)

__all__ = [
    "AnswerMeta",
    "AssistantMessage",
    "Attachment",
    "FilePart",
    "ImagePart",
    "Message",
    "MessageShapeError",
    "Part",
    "TextPart",
    "UserMessage",
    "WireMessage",
    "countable",
    "headline",
    "message_from_json",
    "to_json",
    "to_wire",
]

# A message as the server takes it (wire-protocol §1, §14.1): role and content (text, or a
# list of text and image_url parts), nothing of ours.
WireMessage = dict[str, Any]
_T = TypeVar("_T")


class MessageShapeError(ValueError):
    """Saved JSON that is not a message this version can read."""


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
        """What the user typed: the text parts joined, never an attachment's text."""
        if isinstance(self.content, str):
            return self.content
        return "\n\n".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def attachments(self) -> tuple[Attachment, ...]:
        if isinstance(self.content, str):
            return ()
        return tuple(part for part in self.content if not isinstance(part, TextPart))

    @property
    def images(self) -> Iterator[ImagePart]:
        return (part for part in self.attachments if isinstance(part, ImagePart))

    def attachment_line(self) -> str:
        """``attached: notes.md (3.1 KB), photo.jpg (1024×768 image, 180 KB)``, or ``""``."""
        attached = self.attachments
        if not attached:
            return ""
        return "attached: " + ", ".join(part.described() for part in attached)


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


def to_wire(message: Message, images: bool = True) -> WireMessage:
    """The message as the server takes it: role and content, no metadata.

    A message with images has a list of parts (wire-protocol §14.1); with ``images``
    false each image is a short text marker instead. A message without images is one
    string, which every server takes.

    Raises:
        OSError: an image's file beside the session could not be read.
    """
    if not isinstance(message, UserMessage) or isinstance(message.content, str):
        return {"role": message.role, "content": message.text}
    parts: list[dict[str, Any]] = []
    for part in message.content:
        match part:
            case TextPart():
                text = part.text
            case FilePart():
                text = part.wire_text()
            case ImagePart():
                if images:
                    parts.append({"type": "image_url", "image_url": {"url": part.data_url()}})
                    continue
                text = part.marker()
            case _:
                assert_never(part)
        if parts and parts[-1]["type"] == "text":
            parts[-1]["text"] += "\n\n" + text
        else:
            parts.append({"type": "text", "text": text})
    if len(parts) == 1 and parts[0]["type"] == "text":
        return {"role": "user", "content": parts[0]["text"]}
    return {"role": "user", "content": parts}


def countable(message: Message) -> tuple[WireMessage, int]:
    """The message as text for a tokenizer (each image a marker), and the images' tokens."""
    if isinstance(message, UserMessage):
        return to_wire(message, images=False), sum(image.tokens for image in message.images)
    return to_wire(message), 0


def to_json(message: Message) -> dict[str, object]:
    """The saved form of ``message``; an image is named by its digest, never inlined."""
    match message:
        case UserMessage():
            if isinstance(message.content, str):
                return {"role": "user", "content": message.content}
            return {"role": "user", "content": [part_json(part) for part in message.content]}
        case AssistantMessage():
            data: dict[str, object] = {"role": "assistant", "content": message.content}
            if message.meta is not None:
                data["meta"] = message.meta.to_json()
            return data
        case _:
            assert_never(message)


def message_from_json(data: object, load_image: Callable[[str], bytes] | None = None) -> Message:
    """A saved message; ``load_image`` reads an image's bytes by digest when it is sent.

    Raises:
        MessageShapeError: it is not a user or an assistant message with text.
    """
    if not isinstance(data, Mapping):
        raise MessageShapeError("it is not an object")
    role, content, meta = data.get("role"), data.get("content"), data.get("meta", {})
    if role == "user" and isinstance(content, list):
        try:
            return UserMessage(tuple(part_from_json(part, load_image) for part in content))
        except PartShapeError as exc:
            raise MessageShapeError(str(exc)) from None
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
