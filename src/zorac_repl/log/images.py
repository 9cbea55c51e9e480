"""Attached images' bytes, kept beside the log as files named by their SHA-256.

An image is not in the database: a 5 MB photo would be copied into every state of the
conversation that carries it. Each is written once (mode 0600), read back only when its
bytes still match its name, and removed when nothing names it any more.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from zorac_repl.atomic_file import write_atomically

__all__ = ["ImageFiles"]

# An image is kept downscaled: no kept image is near this; a bigger file is not ours.
_LARGEST_IMAGE = 64 * 1024**2


class ImageFiles:
    """The images in ``directory`` (the data directory's ``images/``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def keep(self, digest: str, data: bytes) -> None:
        """Write an image's bytes under its digest, once.

        Raises:
            StoreError: it could not be written.
        """
        path = self.directory / digest
        if not path.exists():
            write_atomically(path, data)

    def read(self, digest: str) -> bytes:
        """An image kept by ``keep``.

        Raises:
            OSError: it is missing, unreadable, a link, or its bytes do not match.
        """
        fd = os.open(self.directory / digest, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            data = file.read(_LARGEST_IMAGE + 1)
        if len(data) > _LARGEST_IMAGE or hashlib.sha256(data).hexdigest() != digest:
            raise OSError(f"the image file {digest[:12]}… was changed")
        return data

    def remove_unused(self, digests: Iterable[str], still_named: Callable[[str], bool]) -> None:
        """Remove the files of ``digests`` that ``still_named`` says nothing names."""
        for digest in digests:
            if not still_named(digest):
                with contextlib.suppress(OSError):
                    (self.directory / digest).unlink()
