"""The parts of a user message: what was typed, and what was attached.

A ``TextPart`` is what the user typed; a ``FilePart`` a text file or a PDF's text, sent
fenced under its name; an ``ImagePart`` an image already prepared (``attachments``), its
bytes in memory or read by digest from beside the saved session when it is sent. Each has
its saved form here (``part_json``, ``part_from_json``): an image is named by its SHA-256,
never inlined.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import assert_never

__all__ = [
    "Attachment",
    "FilePart",
    "ImagePart",
    "Part",
    "PartShapeError",
    "TextPart",
    "fenced",
    "human_size",
    "part_from_json",
    "part_json",
]


class PartShapeError(ValueError):
    """A saved part that is not text, a file or an image."""


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


def part_json(part: Part) -> dict[str, object]:
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


def part_from_json(data: object, load: Callable[[str], bytes] | None) -> Part:
    if not isinstance(data, Mapping):
        raise PartShapeError("a part is not an object")
    kind, name = data.get("type"), data.get("name")
    if kind == "text" and isinstance(data.get("text"), str):
        return TextPart(data["text"])
    size = _count(data.get("size"))
    if kind == "file" and isinstance(name, str) and isinstance(data.get("text"), str):
        return FilePart(name, data["text"], size or 0, _count(data.get("pages")))
    digest, media_type = data.get("sha256"), data.get("media_type")
    width, height = _count(data.get("width")), _count(data.get("height"))
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
    raise PartShapeError("a part is not text, a file or an image")


def _count(value: object) -> int | None:
    """A whole number of bytes, pages or pixels, believed only within reason."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= 10**12 else None
