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

from collections.abc import Callable, Mapping
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
from zorac_repl.conversation.tool_calls import ToolCall

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
    "ToolMessage",
    "ToolStatus",
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
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(part for part in self.attachments if isinstance(part, ImagePart))

    def attachment_line(self) -> str:
        """``attached: notes.md (3.1 KB), photo.jpg (1024×768 image, 180 KB)``, or ``""``."""
        attached = self.attachments
        if not attached:
            return ""
        return "attached: " + ", ".join(part.described() for part in attached)


@dataclass(frozen=True, slots=True)
class AssistantMessage:
    """An answer: its text (never the thinking), what is known of it, and the tool calls
    it asked for (an answer with calls is followed by one ``ToolMessage`` for each)."""

    content: str
    meta: AnswerMeta | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    role: Literal["assistant"] = "assistant"

    @property
    def text(self) -> str:
        return self.content


# How a call ended: ran (ok, or the tool said it failed: error), the user said no
# (refused), Ctrl+C (cancelled), or it could not run (failed: bad arguments, a crash).
ToolStatus = Literal["ok", "error", "refused", "cancelled", "failed"]


@dataclass(frozen=True, slots=True)
class ToolMessage:
    """A tool's result, answering one call of the answer before it.

    Attributes:
        call_id: the call it answers.
        content: what the model is told: the tool's text, or why it did not run.
        server, tool: which tool of which MCP server.
        status: how the call ended.
        seconds: how long it ran.
    """

    call_id: str
    content: str
    server: str = ""
    tool: str = ""
    status: ToolStatus = "ok"
    seconds: float | None = None
    role: Literal["tool"] = "tool"

    @property
    def text(self) -> str:
        return self.content


# Every kind of message in the history.
Message = UserMessage | AssistantMessage | ToolMessage


def to_wire(message: Message, images: bool = True) -> WireMessage:
    """The message as the server takes it: role and content, no metadata.

    A message with images has a list of parts (wire-protocol §14.1); with ``images``
    false each image is a short text marker instead. A message without images is one
    string, which every server takes.

    Raises:
        OSError: an image's file beside the session could not be read.
    """
    if isinstance(message, ToolMessage):
        return {"role": "tool", "tool_call_id": message.call_id, "content": message.content}
    if isinstance(message, AssistantMessage) and message.tool_calls:
        return {
            "role": "assistant",
            "content": message.content or None,
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in message.tool_calls
            ],
        }
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
    if isinstance(message, AssistantMessage) and message.tool_calls:
        calls = "\n".join(f"{call.name}({call.arguments})" for call in message.tool_calls)
        return {"role": "assistant", "content": f"{message.content}\n{calls}"}, 0
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
            if message.tool_calls:
                data["tool_calls"] = [
                    {"id": call.id, "name": call.name, "arguments": call.arguments}
                    for call in message.tool_calls
                ]
            if message.meta is not None:
                data["meta"] = message.meta.to_json()
            return data
        case ToolMessage():
            saved: dict[str, object] = {
                "role": "tool",
                "call_id": message.call_id,
                "content": message.content,
                "server": message.server,
                "tool": message.tool,
                "status": message.status,
            }
            if message.seconds is not None:
                saved["seconds"] = message.seconds
            return saved
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
        calls = _calls_from_json(data.get("tool_calls", []))
        return AssistantMessage(
            content, AnswerMeta.from_json(meta) if "meta" in data else None, calls
        )
    if role == "tool":
        return _tool_from_json(data, content)
    raise MessageShapeError("it is not a user, assistant or tool message")


_STATUSES: dict[object, ToolStatus] = {
    "ok": "ok",
    "error": "error",
    "refused": "refused",
    "cancelled": "cancelled",
    "failed": "failed",
}


def _calls_from_json(data: object) -> tuple[ToolCall, ...]:
    if not isinstance(data, list):
        raise MessageShapeError("its tool calls are not a list")
    calls = []
    for call in data:
        if not isinstance(call, Mapping) or not all(
            isinstance(call.get(key), str) for key in ("id", "name", "arguments")
        ):
            raise MessageShapeError("a tool call is not an id, a name and arguments")
        calls.append(ToolCall(call["id"], call["name"], call["arguments"]))
    return tuple(calls)


def _tool_from_json(data: Mapping[str, object], content: str) -> ToolMessage:
    call_id, status = data.get("call_id"), _STATUSES.get(data.get("status"))
    if not isinstance(call_id, str) or status is None:
        raise MessageShapeError("a tool result names no call, or no known status")
    return ToolMessage(
        call_id,
        content,
        _of(data.get("server"), str) or "",
        _of(data.get("tool"), str) or "",
        status,
        _number(data.get("seconds")),
    )


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
