"""The input history: what the user typed, for Up-arrow and Ctrl+R, kept between runs.

The file is prompt_toolkit's ``FileHistory`` format, written and read here because the
REPL needs more than that class does:

- a line that holds a secret (``/config set VLLM_API_KEY …``) is never recorded;
- a large paste comes back as its placeholder, as a draft does, and only pastes up to
  ``MOST_WRITTEN`` characters go to the file (the saved session keeps the rest);
- the file is opened without following a symbolic link, and created 0600;
- a file that cannot be written (a full disk, a read-only directory) is said once, in
  ``problems``, and the REPL goes on without writing it; prompt_toolkit would print
  "Unhandled exception" and wait for a key on every Enter.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit.history import History

from zorac_repl.commands.secret_lines import is_secret_line
from zorac_repl.repl.large_paste import PLACEHOLDER_MIN, PasteStore

__all__ = ["MOST_WRITTEN", "InputHistory"]

# A message longer than this is kept in memory for Up-arrow, but not written to the file:
# a 1 MB paste each time made the file grow by as much.
MOST_WRITTEN = 100_000
# Only the end of a larger file is read: the newest entries.
_MOST_READ = 8 * 1024 * 1024


class InputHistory(History):
    """The history in the file at ``path``; large pastes are held in ``pastes``."""

    def __init__(self, path: Path, pastes: PasteStore) -> None:
        super().__init__()
        self.path = path
        self.problems: list[str] = []  # lines to say, once, above the next prompt
        self._pastes = pastes
        self._writable = True

    def prepare(self) -> None:
        """Make the file's directory, and the file private if an older version made it
        readable by others; a failure is a problem to say, not a reason to stop."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            self.cannot_write(_why(exc))
            return
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)

    def cannot_write(self, why: str) -> None:
        """Say once that the history is not written, and stop trying."""
        if self._writable:
            self._writable = False
            self.problems.append(
                f"The input history {self.path} cannot be written ({why}); what you type "
                "is not kept after this run."
            )

    def append_string(self, string: str) -> None:
        if not is_secret_line(self._pastes.expand(string)):
            super().append_string(string)  # in memory as typed: a paste as its placeholder

    def load_history_strings(self) -> Iterable[str]:
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.cannot_write(_why(exc))
            return []
        with os.fdopen(fd, "rb") as file:
            size = os.fstat(fd).st_size
            if size > _MOST_READ:
                file.seek(size - _MOST_READ)
                file.readline()  # a partial line
            data = file.read()
        entries = _entries(data.decode("utf-8", errors="replace"))
        return [
            self._pastes.hold(entry) if len(entry) >= PLACEHOLDER_MIN else entry
            for entry in reversed(entries)
        ]

    def store_string(self, string: str) -> None:
        text = self._pastes.expand(string)
        if not self._writable or len(text) > MOST_WRITTEN:
            return
        entry = f"\n# {datetime.datetime.now()}\n" + "".join(
            f"+{line}\n" for line in text.split("\n")
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                data = entry.encode("utf-8", errors="replace")
                while data:
                    data = data[os.write(fd, data) :]
            finally:
                os.close(fd)
        except OSError as exc:
            self.cannot_write(_why(exc))


def _entries(text: str) -> list[str]:
    """The entries of a history file, oldest first: ``+`` lines, one entry per block."""
    entries: list[str] = []
    lines: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("+"):
            lines.append(line[1:])
        elif lines:
            entries.append("".join(lines).removesuffix("\n"))
            lines = []
    if lines:
        entries.append("".join(lines).removesuffix("\n"))
    return entries


def _why(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "it is a symbolic link, which is not followed"
    return (exc.strerror or str(exc)).lower()
