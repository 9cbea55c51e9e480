"""A message of the conversation, typed: who said it, what it holds, and an answer's figures.

A message is a dict only where it crosses a boundary: ``to_wire`` for the server,
``to_json`` and ``message_from_json`` for the session file. Everything between uses
these classes, and ``match`` on them.

The content of a user message is text or a tuple of parts: what the user typed
(``TextPart``), an attached text file or PDF's text (``FilePart``) and an attached image
(``ImagePart``). A tool's result will be another ``Message`` class, so each joins a union
below and every ``match`` on it is checked by mypy (``assert_never``).

An image's bytes are kept apart from the JSON (``image_json``): the saved session names
each by its SHA-256, and the store keeps the bytes beside the session, read only when the
image is sent again.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, assert_never

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
    "fenced",
    "headline",
    "human_size",
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
class TextPart:
    """Text in a message whose content has several parts."""

    text: str


@dataclass(frozen=True, slots=True)
class FilePart:
    """An attached text file, or a PDF's text: sent inside the message, with its name.

    Attributes:
        name: the path as the user gave it (relative where it could be).
        text: its text; a PDF's pages are separated by ``--- page N ---`` lines.
        size: its size on disk, in bytes.
        pages: a PDF's page count; ``None`` for a text file.
    """

    name: str
    text: str
    size: int
    pages: int | None = None

    def wire_text(self) -> str:
        """The file as the model reads it: its name, then its text in a fence that no run
        of backticks in the text can close."""
        kind = f" (PDF, {self.pages} pages)" if self.pages is not None else ""
        return f"{self.name}{kind}:\n{fenced(self.text)}"

    def described(self) -> str:
        pages = f", {self.pages} pages" if self.pages is not None else ""
        return f"{self.name} ({human_size(self.size)}{pages})"


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An attached image, already downscaled, turned upright and stripped of metadata.

    Attributes:
        name: where it came from (a path, or ``stdin``).
        digest: the SHA-256 of ``data``, hex: the name of its file beside the session.
        media_type: ``image/jpeg`` or ``image/png``.
        width, height: in pixels, as sent.
        size: bytes as sent.
        data: the bytes, while they are in memory; a loaded session reads them with
            ``load`` when the image is sent.
        load: reads the bytes from the session's image store (set when loaded).
    """

    name: str
    digest: str
    media_type: str
    width: int
    height: int
    size: int
    data: bytes | None = field(default=None, repr=False, compare=False)
    load: Callable[[str], bytes] | None = field(default=None, repr=False, compare=False)

    def read(self) -> bytes:
        """The image's bytes.

        Raises:
            OSError: its file beside the session is gone or unreadable.
        """
        if self.data is not None:
            return self.data
        if self.load is None:
            raise FileNotFoundError(f"the image {self.name} was not kept")
        return self.load(self.digest)

    def data_url(self) -> str:
        """The image as the ``data:`` URL every server takes (wire-protocol §14.1)."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.read()).decode()}"

    @property
    def tokens(self) -> int:
        """About what the image costs a vision model: one token a 28×28 patch, as Qwen2-VL
        style processors tile (wire-protocol §14.4), and a few around it."""
        return math.ceil(self.width / 28) * math.ceil(self.height / 28) + 4

    def described(self) -> str:
        return f"{self.name} ({self.width}×{self.height} image, {human_size(self.size)})"

    def marker(self) -> str:
        """What stands for the image where it is not sent again."""
        return f"[image {self.name}, {self.width}×{self.height}, shown earlier; not sent again]"


# The kinds of part a user message can hold.
Part = TextPart | FilePart | ImagePart
# What the user attached, as opposed to what they typed.
Attachment = FilePart | ImagePart


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


def fenced(text: str) -> str:
    """``text`` in a Markdown fence longer than any run of backticks inside it."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.removesuffix(chr(10))}\n{fence}"


def human_size(size: int) -> str:
    """``812 B``, ``3.1 KB``, ``4.2 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1000**2:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1000**2:.1f} MB"


def to_json(message: Message) -> dict[str, object]:
    """The saved form of ``message``; an image is named by its digest, never inlined."""
    match message:
        case UserMessage():
            if isinstance(message.content, str):
                return {"role": "user", "content": message.content}
            return {"role": "user", "content": [_part_json(part) for part in message.content]}
        case AssistantMessage():
            data: dict[str, object] = {"role": "assistant", "content": message.content}
            if message.meta is not None:
                data["meta"] = message.meta.to_json()
            return data
        case _:
            assert_never(message)


def _part_json(part: Part) -> dict[str, object]:
    match part:
        case TextPart():
            return {"type": "text", "text": part.text}
        case FilePart():
            data: dict[str, object] = {"type": "file", "name": part.name, "size": part.size}
            if part.pages is not None:
                data["pages"] = part.pages
            data["text"] = part.text
            return data
        case ImagePart():
            return {
                "type": "image",
                "name": part.name,
                "sha256": part.digest,
                "media_type": part.media_type,
                "width": part.width,
                "height": part.height,
                "size": part.size,
            }
        case _:
            assert_never(part)


_MEDIA_TYPES = ("image/jpeg", "image/png")


def _part_from_json(data: object, load: Callable[[str], bytes] | None) -> Part:
    if not isinstance(data, Mapping):
        raise MessageShapeError("a part is not an object")
    kind, name = data.get("type"), data.get("name")
    if kind == "text" and isinstance(data.get("text"), str):
        return TextPart(data["text"])
    size = _whole(data.get("size"))
    if kind == "file" and isinstance(name, str) and isinstance(data.get("text"), str):
        return FilePart(name, data["text"], size or 0, _whole(data.get("pages")))
    digest, media_type = data.get("sha256"), data.get("media_type")
    width, height = _whole(data.get("width")), _whole(data.get("height"))
    if (
        kind == "image"
        and isinstance(name, str)
        and isinstance(digest, str)
        and len(digest) == 64
        and all(c in "0123456789abcdef" for c in digest)
        and media_type in _MEDIA_TYPES
        and width
        and height
    ):
        return ImagePart(name, digest, str(media_type), width, height, size or 0, load=load)
    raise MessageShapeError("a part is not text, a file or an image")


def message_from_json(data: object, load_image: Callable[[str], bytes] | None = None) -> Message:
    """A saved message; ``load_image`` reads an image's bytes by digest when it is sent.

    Raises:
        MessageShapeError: it is not a user or an assistant message with text.
    """
    if not isinstance(data, Mapping):
        raise MessageShapeError("it is not an object")
    role, content, meta = data.get("role"), data.get("content"), data.get("meta", {})
    if role == "user" and isinstance(content, list):
        return UserMessage(tuple(_part_from_json(part, load_image) for part in content))
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
