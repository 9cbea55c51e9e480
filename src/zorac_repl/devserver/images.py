"""Images in chat requests, as the dev server receives them, and how each server refuses them.

Each image part is decoded as a vision server would, so tests check the bytes that
arrived (format, pixels, any EXIF left), not what the client meant to send
(``RequestRecord.images``). A text-only model refuses them in its server's own words
(wire-protocol §14.3), and a server started with a per-request image limit refuses one
image too many as vLLM's ``--limit-mm-per-prompt`` does (§14.4).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ReceivedImage",
    "blind_refusal",
    "described",
    "image_tokens",
    "images_in",
    "too_many_refusal",
]

# What each server says when the model reads no images (wire-protocol §14.3).
VLLM_REFUSALS = {
    "processor": "Resolving modality {'image'} requires a multimodal processor but none is "
    "available.",
    "at-most-0": "At most 0 image(s) may be provided in one prompt.",
    "not-multimodal": "{model} is not a multimodal model None",
}


@dataclass(frozen=True, slots=True)
class ReceivedImage:
    """One image part as it arrived.

    Attributes:
        media_type: what its data URL said.
        format: what Pillow found (``JPEG``, ``PNG``), or ``None`` if it is no image.
        width, height: in pixels.
        size: its bytes.
        exif: the EXIF tags it still carried (a GPS position would be ``34853``).
        data: the bytes.
    """

    media_type: str
    format: str | None
    width: int
    height: int
    size: int
    exif: dict[int, Any]
    data: bytes


def images_in(messages: list[dict[str, Any]]) -> list[ReceivedImage] | str:
    """Every image part of ``messages``, decoded; the error text for one that is not a
    ``data:`` URL of base64 (Ollama's words)."""
    found = []
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            continue
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "image_url":
                continue
            url = str((part.get("image_url") or {}).get("url", ""))
            head, _, payload = url.partition(",")
            if not head.startswith("data:") or not head.endswith(";base64"):
                return "image URLs are not currently supported, please use base64 encoded data"
            try:
                data = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                return "invalid image input"
            found.append(_decoded(head[5:].removesuffix(";base64"), data))
    return found


def _decoded(media_type: str, data: bytes) -> ReceivedImage:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = dict(image.getexif())
            return ReceivedImage(
                media_type, image.format, image.width, image.height, len(data), exif, data
            )
    except (UnidentifiedImageError, OSError):
        return ReceivedImage(media_type, None, 0, 0, len(data), {}, data)


def image_tokens(images: list[ReceivedImage]) -> int:
    """What the images cost a Qwen2-VL style processor: a token a 28×28 patch."""
    return sum(math.ceil(i.width / 28) * math.ceil(i.height / 28) for i in images)


def described(images: list[ReceivedImage]) -> str:
    """``2 images: 1024×768 JPEG (no EXIF), 640×480 PNG (no EXIF)``: the ``[[images]]``
    answer, so a test or a person sees what arrived."""
    if not images:
        return "No images arrived."
    each = []
    for image in images:
        exif = "no EXIF" if not image.exif else f"EXIF tags {sorted(image.exif)}"
        each.append(
            f"{image.width}×{image.height} {image.format or 'unreadable'}, "
            f"{image.size} bytes ({exif})"
        )
    return f"{len(images)} image{'s' * (len(images) != 1)}: " + "; ".join(each) + "."


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def blind_refusal(flavor: str, model: str, wording: str) -> tuple[int, bytes] | None:
    """How ``flavor`` refuses images for a text-only model; ``None``: it takes them anyway
    (Ollama passes them to the template without a word)."""
    if flavor.startswith("llamacpp"):
        return 500, _dumps(
            {
                "error": {
                    "code": 500,
                    "message": "image input is not supported - hint: if this is unexpected, "
                    "you may need to provide the mmproj",
                    "type": "server_error",
                }
            }
        )
    if flavor == "ollama":
        return None
    message = VLLM_REFUSALS.get(wording, VLLM_REFUSALS["processor"]).format(model=model)
    return 400, _dumps(
        {
            "object": "error",
            "message": message,
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    )


def too_many_refusal(limit: int) -> tuple[int, bytes]:
    """vLLM's answer to more images than ``--limit-mm-per-prompt`` allows."""
    return 400, _dumps(
        {
            "object": "error",
            "message": f"At most {limit} image(s) may be provided in one prompt.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    )
