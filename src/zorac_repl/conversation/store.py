"""Where a conversation lives between runs: one JSON file, written so it is never broken.

- Writes are atomic: a temporary file in the same directory, fsync, then ``os.replace``;
  a process killed at any moment leaves the old file or the new one, never half of one.
  Files are created with mode 0600: they hold what the user said.
- A file that cannot be read is moved aside with a timestamp, never overwritten, and the
  user is told where it went.
- One running zorac-repl owns the session file, through an advisory lock held as long as
  it runs; the lock file goes when it is released. A second one becomes a session of its
  own (``default-2``), which ``/sessions``, ``/load`` and ``-c`` reach like any other.
- No file is opened through a symbolic link, and temporary files that a killed process
  left behind are removed when a session is claimed.
- An attached image's bytes are not in the JSON: each is a file of its own in
  ``images/``, named by its SHA-256 and written once, so a session with a 5 MB photo is
  not rewritten whole on every save. A file whose bytes no longer match its name is
  refused, as one that is missing.
- Besides the default session (``session.json``) there are named ones, in ``sessions/``
  (``/save NAME``, ``/load NAME``, ``--session NAME``), under the same rules; a name is
  checked to be a plain file name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from zorac_repl.atomic_file import write_atomically
from zorac_repl.errors import StoreError
from zorac_repl.paths import free_path

__all__ = [
    "DEFAULT_NAME",
    "LoadResult",
    "SessionInUse",
    "SessionStore",
    "check_name",
    "saved_names",
    "session_path",
]


def _timestamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What ``SessionStore.load`` found.

    Attributes:
        data: the parsed JSON, or ``None`` when there is nothing to restore.
        notice: a line for the user (a quarantined file, a second instance), if any.
    """

    data: Any = None
    notice: str | None = None


DEFAULT_NAME = "default"
# A session name is a file name, never a path: no slashes, no dots first, no "..".
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_name(name: str) -> str | None:
    """Why ``name`` cannot name a session, or ``None`` when it can."""
    if not _NAME.fullmatch(name) or ".." in name or name.endswith((".json", ".lock")):
        return (
            f"{name!r} cannot name a session: use up to 64 letters, digits, '-', '_' "
            "or '.', starting with a letter or digit."
        )
    return None


def session_path(directory: Path, name: str) -> Path:
    """Where the session ``name`` is saved (``default``: the one used without a name)."""
    if name == DEFAULT_NAME:
        return directory / "session.json"
    return directory / "sessions" / f"{name}.json"


# An image is kept downscaled: no kept image is near this; a bigger file is not ours.
_LARGEST_IMAGE = 64 * 1024**2

# What the store writes beside a session, which is not a session: a /clear backup, a
# quarantined file.
_NOT_A_SESSION = re.compile(r".*(-backup-|\.corrupt-)\d{8}-\d{6}(-\d+)?")


def saved_names(directory: Path) -> list[str]:
    """The sessions saved in ``directory``: the default first if it exists, then by name."""
    names = [DEFAULT_NAME] if session_path(directory, DEFAULT_NAME).exists() else []
    folder = directory / "sessions"
    if folder.is_dir():
        names += sorted(
            path.stem
            for path in folder.glob("*.json")
            if check_name(path.stem) is None and not _NOT_A_SESSION.fullmatch(path.stem)
        )
    return names


def remove_stale_temporaries(directory: Path, older_than: float = 600.0) -> None:
    """Remove the temporary files of saves that a killed process never finished.

    Only those older than ``older_than`` seconds: a younger one may be another running
    zorac-repl's save in progress.
    """
    cutoff = time.time() - older_than
    for path in directory.glob(".*.json.*.tmp"):
        with contextlib.suppress(OSError):
            if path.lstat().st_mtime < cutoff:
                path.unlink()


def _lock(path: Path) -> IO[bytes] | None:
    """Hold the lock of the session file ``path``; ``None`` when another process has it.

    The lock file is removed on release, so a lock taken on a file that was removed
    meanwhile is taken again on the new one.

    Raises:
        OSError: the lock file cannot be made (a symbolic link is refused).
    """
    import fcntl

    lock_path = path.with_suffix(".lock")
    while True:
        fd = os.open(lock_path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
        lock = os.fdopen(fd, "wb")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            return None
        try:
            same = os.stat(lock_path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return lock
        lock.close()  # released and removed between our open and our lock


class SessionInUse(StoreError):
    """Another running zorac-repl has the session open."""


class SessionStore:
    """The file of one saved session, owned by one running zorac-repl.

    Args:
        directory: the data directory.
        name: the session (``default``: ``session.json`` in it; others in ``sessions/``).
    """

    def __init__(self, directory: Path, name: str = DEFAULT_NAME) -> None:
        self.directory = directory
        self.name = name
        self.path = session_path(directory, name)
        self._lock: IO[bytes] | None = None
        self._shared_notice: str | None = None

    def claim(self, exclusive: bool = False) -> None:
        """Take the session file for this process, or a file of its own if another has it.

        Raises:
            SessionInUse: ``exclusive`` was asked and another process has it.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            remove_stale_temporaries(self.path.parent)
            lock = _lock(self.path)
        except OSError:
            return  # no locking possible; saving will report the real problem
        if lock is None:
            if exclusive:
                raise SessionInUse(
                    f"The session {self.name!r} is open in another running zorac-repl."
                )
            lock = self._claim_another()
        self._lock = lock

    def _claim_another(self) -> IO[bytes] | None:
        """The session is open elsewhere: become a new session of its own, ``NAME-2``..."""
        for number in range(2, 1000):
            name = f"{self.name[:60]}-{number}"
            path = session_path(self.directory, name)
            if path.exists():
                continue
            try:
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                lock = _lock(path)
            except OSError:
                return None
            if lock is None:
                continue
            self._shared_notice = (
                f"Another zorac-repl is using the session {self.name!r}; this one starts "
                f"fresh as {name!r} (later: /load {name}, or zorac-repl --session {name})."
            )
            self.name, self.path = name, path
            return lock
        return None

    def release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self.path.with_suffix(".lock").unlink()  # while held: see _lock
            self._lock.close()
            self._lock = None

    def load(self) -> LoadResult:
        """Read the saved conversation; a file that cannot be parsed is quarantined."""
        if self._shared_notice is not None:
            notice, self._shared_notice = self._shared_notice, None
            return LoadResult(None, notice)
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return LoadResult()  # nothing saved yet; where saving fails, saving says so
        except (OSError, UnicodeDecodeError) as exc:
            return self.quarantine(f"it could not be read ({exc})")
        try:
            return LoadResult(json.loads(text))
        except json.JSONDecodeError as exc:
            return self.quarantine(f"it is not valid JSON ({exc.msg} at line {exc.lineno})")
        except RecursionError:
            return self.quarantine("it is nested too deeply to read")

    def quarantine(self, reason: str) -> LoadResult:
        """Move the session file aside and say where; it is never overwritten."""
        target = free_path(self.path.parent, f"{self.path.stem}.corrupt-{_timestamp()}", ".json")
        try:
            os.replace(self.path, target)
        except OSError as exc:
            raise StoreError(
                f"The saved session {self.path} cannot be read ({reason}) nor "
                f"moved aside ({exc.strerror}); move it away and restart."
            ) from None
        return LoadResult(
            None,
            f"The saved session could not be loaded: {reason}. It was "
            f"moved to {target}; starting a fresh session.",
        )

    @property
    def images(self) -> Path:
        """Where attached images are kept, by digest, for every session."""
        return self.directory / "images"

    def keep_image(self, digest: str, data: bytes) -> None:
        """Write an image's bytes under its digest, once (mode 0600)."""
        path = self.images / digest
        if not path.exists():
            write_atomically(path, data)

    def read_image(self, digest: str) -> bytes:
        """An image kept by ``keep_image``.

        Raises:
            OSError: it is missing, unreadable, a link, or its bytes do not match.
        """
        fd = os.open(self.images / digest, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as file:
            data = file.read(_LARGEST_IMAGE + 1)
        if len(data) > _LARGEST_IMAGE or hashlib.sha256(data).hexdigest() != digest:
            raise OSError(f"the image file {digest[:12]}… was changed")
        return data

    def save(self, data: Any) -> None:
        """Write ``data`` as the session, atomically, mode 0600."""
        write_atomically(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def backup(self, data: Any) -> Path:
        """Keep ``data`` in a timestamped file beside the session (for ``/clear``)."""
        target = free_path(self.path.parent, f"{self.path.stem}-backup-{_timestamp()}", ".json")
        write_atomically(target, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
        return target
