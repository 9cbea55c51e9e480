"""An attached image made fit to send: upright, scaled down, metadata gone, re-encoded.

A phone photo carries its GPS position and camera in EXIF, and 12 megapixels no local
vision model reads (their processors scale to about a megapixel). So every image is
decoded with Pillow, turned as its EXIF orientation says, scaled to ``IMAGE_MAX_SIDE``,
and written afresh with no metadata at all: JPEG, or PNG where it has transparency.
Ollama takes only JPEG, PNG and WebP (wire-protocol §14.1), so nothing else is sent.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zorac_repl.conversation.parts import ImagePart

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["NotAnImage", "PreparedImage", "image_format", "prepare_image"]

# The formats taken as images; Pillow reads more, but these are what people attach.
IMAGE_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WEBP": "WebP", "GIF": "GIF", "MPO": "JPEG"}
_JPEG_QUALITY = 90


class NotAnImage(ValueError):
    """The bytes are not an image Pillow can read, or one too large to decode safely."""


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An image as it will be sent, and what it was.

    Attributes:
        part: the message part (its bytes, digest, size in pixels and bytes).
        original_bytes: the file's size before.
        original_size: its width and height before (upright).
        original_format: ``JPEG``, ``PNG``, ``WebP`` or ``GIF``.
    """

    part: ImagePart
    original_bytes: int
    original_size: tuple[int, int]
    original_format: str


def image_format(head: bytes) -> str | None:
    """The image format ``head`` (a file's first bytes) starts, by its signature."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def prepare_image(data: bytes, name: str, max_side: int) -> PreparedImage:
    """Decode ``data``, turn it upright, scale its longest side to ``max_side`` at most,
    and encode it again without metadata.

    Raises:
        NotAnImage: Pillow cannot read it, or it has more pixels than Pillow's guard
            against decompression bombs allows.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns of an image between its pixel limit and twice it: here that
            # is a refusal too, said in a line, never a warning on the screen.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upright, kind = _opened_upright(data, max_side)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
    ) as exc:
        raise NotAnImage(_reason(exc)) from None
    original_size = _original_size(data, upright.size)
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
        upright.mode == "P" and "transparency" in upright.info
    )
    clean = upright.convert("RGBA" if has_alpha else "RGB")
    clean.info = {}  # no ICC profile, text chunks or EXIF travel with it
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, "PNG")
        media_type = "image/png"
    else:
        clean.save(out, "JPEG", quality=_JPEG_QUALITY, optimize=True)
        media_type = "image/jpeg"
    encoded = out.getvalue()
    part = ImagePart(
        name,
        hashlib.sha256(encoded).hexdigest(),
        media_type,
        clean.width,
        clean.height,
        len(encoded),
        data=encoded,
    )
    return PreparedImage(part, len(data), original_size, kind)


def _opened_upright(data: bytes, max_side: int) -> tuple[Image.Image, str]:
    """The image decoded (at a fraction of its size where JPEG allows) and turned upright,
    and its format.

    Raises:
        NotAnImage: a format that is not sent.
    """
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        kind = IMAGE_FORMATS.get(opened.format or "")
        if kind is None:
            raise NotAnImage(f"{opened.format} images are not sent; convert it to PNG or JPEG")
        if opened.format in ("JPEG", "MPO"):
            # Decode at a fraction of the size straight from the DCT: a 12-megapixel photo
            # decodes in a quarter of the time. It never goes below the box.
            opened.draft("RGB", (max_side, max_side))
        return ImageOps.exif_transpose(opened), kind  # a copy, loaded, turned upright


def _original_size(data: bytes, fallback: tuple[int, int]) -> tuple[int, int]:
    """The upright size before any scaling (``draft`` decoded it smaller)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as again:
        width, height = again.size
        orientation = again.getexif().get(0x0112, 1)
    if orientation in (5, 6, 7, 8):  # turned a quarter: sides swap
        width, height = height, width
    return (width, height) if width and height else fallback


def _reason(exc: BaseException) -> str:
    from PIL import Image

    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return "it has more pixels than an image may (a decompression bomb?)"
    return "it is not an image that can be read (damaged, or not what its name says)"
