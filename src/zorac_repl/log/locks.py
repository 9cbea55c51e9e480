"""One running zorac-repl owns a conversation: an advisory lock per conversation.

``flock`` on ``locks/ID.lock`` in the data directory, held as long as the conversation is
in use. The kernel lets go of it when the process ends, however it ends (``kill -9``
included), so a lock is never stale; the file is removed on release. SQLite's own locks
last one transaction, not a session, which is why ownership is a file of its own.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import IO

__all__ = ["ConversationLock"]


class ConversationLock:
    """The lock of conversation ``conversation_id`` in ``directory``'s ``locks/``."""

    def __init__(self, directory: Path, conversation_id: int) -> None:
        self.path = directory / "locks" / f"{conversation_id}.lock"
        self._file: IO[bytes] | None = None

    def take(self) -> bool:
        """Hold the lock; False when another process holds it. Where no lock file can be
        made (a read-only directory), it is taken: the store reports the real problem.

        The lock file is removed on release, so a lock taken on a file that was removed
        meanwhile is taken again on the new one.
        """
        import fcntl

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return True
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o600)
            except OSError:
                return True
            lock = os.fdopen(fd, "wb")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                return False
            try:
                same = os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                self._file = lock
                return True
            lock.close()  # released and removed between our open and our lock

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()  # while held: see take
            self._file.close()
            self._file = None
