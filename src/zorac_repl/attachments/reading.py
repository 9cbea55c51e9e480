"""What the user named, read into message parts, or refused one line at a time.

A name is a file, a glob (``src/*.py``) or a directory (walked as git sees it:
``walk.py``). Text files must be UTF-8; PDFs give their text (``pdf.py``); images are
prepared (``images.py``). What cannot be sent is refused by name, in one line each, and
the rest is still staged. A directory never stages its images or binaries: it says how
many it skipped. Before any file is read, the count and the bytes are checked against
``ATTACH_MAX_FILES`` and ``ATTACH_MAX_BYTES``: past them nothing is staged.
"""

from __future__ import annotations

import glob
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zorac_repl.attachments.images import NotAnImage, PreparedImage, image_format, prepare_image
from zorac_repl.attachments.pdf import NoText, pdf_text
from zorac_repl.attachments.walk import walk
from zorac_repl.conversation.parts import Attachment, FilePart, human_size

__all__ = ["Limits", "Staging", "TooMuch", "read_image_bytes", "read_paths", "shown_name"]

# How far into a file a NUL byte marks it binary, as git decides.
_SNIFF = 8000
# An image file bigger than this is refused unread: no photo is near it.
_LARGEST_IMAGE_FILE = 64 * 1024**2


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one ``/attach`` or ``-a`` may stage, and how large images are sent."""

    max_files: int = 500
    max_bytes: int = 4 * 1024**2
    image_max_side: int = 1024


class TooMuch(ValueError):
    """More files or bytes than the limits allow; the text gives the figures."""


@dataclass
class Staging:
    """What came of the names.

    Attributes:
        parts: the attachments, in the order named.
        refused: one line for each named file that cannot be sent.
        notes: one line for each directory: what it skipped.
        images: each image as prepared, for its figures.
    """

    parts: list[Attachment] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: list[PreparedImage] = field(default_factory=list)


@dataclass
class _Entry:
    path: Path
    size: int
    in_directory: bool


def shown_name(path: Path, cwd: Path) -> str:
    """``path`` as the user would write it: relative under ``cwd``, ``~/`` under home."""
    absolute = path if path.is_absolute() else cwd / path
    try:
        return absolute.relative_to(cwd).as_posix()
    except ValueError:
        pass
    home = Path.home()
    try:
        return "~/" + absolute.relative_to(home).as_posix()
    except ValueError:
        return absolute.as_posix()


def read_paths(
    names: Sequence[str],
    cwd: Path,
    limits: Limits,
    cancelled: threading.Event | None = None,
) -> Staging:
    """Read what ``names`` name into parts. Runs off the event loop (it reads files and
    decodes images); ``cancelled`` stops it between two files.

    Raises:
        TooMuch: the files or their bytes pass the limits; nothing was read.
    """
    staging = Staging()
    entries = _expand(names, cwd, limits, staging)
    text_bytes = sum(e.size for e in entries if not _looks_like_image_name(e.path))
    if len(entries) > limits.max_files or text_bytes > limits.max_bytes:
        raise TooMuch(
            f"That is {len(entries)} files and {human_size(text_bytes)}; one /attach takes at "
            f"most {limits.max_files} files and {human_size(limits.max_bytes)} "
            "(ATTACH_MAX_FILES, ATTACH_MAX_BYTES). Name fewer files, or a smaller directory."
        )
    skipped: dict[Path, dict[str, int]] = {}
    for entry in entries:
        if cancelled is not None and cancelled.is_set():
            break
        problem = _read_one(entry, cwd, limits, staging)
        if problem is not None:
            if entry.in_directory:
                kind = "image" if problem == "image" else "binary"
                counts = skipped.setdefault(entry.path.parent, {})
                counts[kind] = counts.get(kind, 0) + 1
            else:
                staging.refused.append(f"{shown_name(entry.path, cwd)}: not attached: {problem}.")
    staging.notes += _skipped_lines(skipped)
    return staging


def _expand(names: Sequence[str], cwd: Path, limits: Limits, staging: Staging) -> list[_Entry]:
    entries: list[_Entry] = []
    seen: set[Path] = set()

    def add(path: Path, size: int, in_directory: bool) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            entries.append(_Entry(path, size, in_directory))

    for name in names:
        expanded = os.path.expanduser(name)
        path = Path(expanded) if os.path.isabs(expanded) else cwd / expanded
        if not path.exists() and glob.has_magic(expanded):
            matches = sorted(glob.glob(str(path), recursive=True))
            if not matches:
                staging.refused.append(f"{name}: not attached: no file matches it.")
            for match in matches:
                _add_path(Path(match), name, cwd, limits, staging, add)
            continue
        _add_path(path, name, cwd, limits, staging, add)
    return entries


def _add_path(
    path: Path,
    name: str,
    cwd: Path,
    limits: Limits,
    staging: Staging,
    add: Callable[[Path, int, bool], None],
) -> None:
    if path.is_dir():
        walked = walk(path, stop_after=limits.max_files)
        for file, size in walked.files:
            add(file, size, True)
        left_out = []
        if walked.hidden:
            left_out.append(f"{walked.hidden} hidden")
        if walked.ignored:
            left_out.append(f"{walked.ignored} in .gitignore")
        if left_out:
            staging.notes.append(
                f"{shown_name(path, cwd)}/: left out {' and '.join(left_out)} "
                "(name a file to attach it anyway)."
            )
        return
    try:
        info = path.stat()
    except FileNotFoundError:
        staging.refused.append(f"{name}: not attached: there is no such file.")
        return
    except OSError as exc:
        staging.refused.append(f"{name}: not attached: {exc.strerror or exc}.")
        return
    if not path.is_file():
        staging.refused.append(f"{name}: not attached: it is not a regular file.")
        return
    add(path, info.st_size, False)


def _looks_like_image_name(path: Path) -> bool:
    return path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp")


def _read_one(entry: _Entry, cwd: Path, limits: Limits, staging: Staging) -> str | None:
    """Read one file into ``staging``; returns why it was not, or ``None``."""
    name = shown_name(entry.path, cwd)
    try:
        with open(entry.path, "rb") as file:
            data = file.read(max(limits.max_bytes, _LARGEST_IMAGE_FILE) + 1)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if image_format(data[:16]) is not None:
        if entry.in_directory:
            return "image"
        if len(data) > _LARGEST_IMAGE_FILE:
            return f"it is {human_size(len(data))}, larger than any image sent"
        try:
            prepared = prepare_image(data, name, limits.image_max_side)
        except NotAnImage as exc:
            return str(exc)
        staging.parts.append(prepared.part)
        staging.images.append(prepared)
        return None
    if data.startswith(b"%PDF-"):
        try:
            text, pages = pdf_text(data)
        except NoText as exc:
            return str(exc)
        staging.parts.append(FilePart(name, text, len(data), pages))
        return None
    decoded = text_of(data)
    if decoded is None:
        return "it is binary, not UTF-8 text"
    staging.parts.append(FilePart(name, decoded, len(data)))
    return None


def text_of(data: bytes) -> str | None:
    """``data`` as text when it is UTF-8 without NUL bytes (a BOM is dropped), else ``None``."""
    if b"\x00" in data[:_SNIFF]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_image_bytes(data: bytes, name: str, max_side: int) -> PreparedImage | None:
    """``data`` prepared as an image when it is one (stdin); ``None`` when it is not.

    Raises:
        NotAnImage: it starts as an image but cannot be read.
    """
    if image_format(data[:16]) is None:
        return None
    return prepare_image(data, name, max_side)


def _skipped_lines(skipped: dict[Path, dict[str, int]]) -> list[str]:
    if not skipped:
        return []
    images = sum(counts.get("image", 0) for counts in skipped.values())
    binary = sum(counts.get("binary", 0) for counts in skipped.values())
    left = []
    if binary:
        left.append(f"{binary} binary file{'s' * (binary != 1)}")
    if images:
        left.append(f"{images} image{'s' * (images != 1)}")
    return [f"Skipped {' and '.join(left)} in the directories (attach an image by name)."]
