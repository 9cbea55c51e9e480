"""Files replaced whole: a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from zorac_repl.errors import StoreError

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str | bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` (or bytes) so a crash leaves either the old or the new file.

    Raises:
        StoreError: the directory or file could not be written; ``path`` is unchanged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise StoreError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        os.fchmod(handle, mode)
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        _fsync_directory(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise StoreError(f"Cannot write {path}: {exc.strerror or exc}.") from None


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
