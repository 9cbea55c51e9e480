"""Every exchange, kept in ``log.db`` in the data directory and searchable.

SQLite from the standard library, in WAL mode with a busy timeout, so two REPLs and a
one-shot can write at once; the file is 0600. The schema is versioned with ``PRAGMA
user_version`` and each migration runs once, in a transaction. Full-text search is
FTS5 over what was asked and answered, kept in step by triggers. The database is opened
on the first write or read, never at start-up; a corrupt file is moved aside, never
overwritten, and a new one starts.

What is kept of an exchange: the user's text and its attachments' names, the answer and
its thinking, the tool calls and results, the model, the server, the profile, the
figures and the time, and how it ended (complete, interrupted, failed, unanswered). The
messages themselves are kept as the session file keeps them (``to_json``), so a logged
conversation reads back as a ``Conversation``. Never the API key or headers: they are
settings, not messages.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zorac_repl.errors import StoreError
from zorac_repl.log.images import ImageFiles
from zorac_repl.log.schema import MIGRATIONS, SCHEMA_VERSION, statements
from zorac_repl.paths import free_path

__all__ = ["SCHEMA_VERSION", "Exchange", "Hit", "LogStore", "Summary", "now"]

# How long a write waits for another process's.
_BUSY_SECONDS = 5.0

# The schema version from which a conversation's state is kept here, not in a file.
_STATES_KEPT = 3

# How a saved image is named in a message's JSON (``conversation/parts.py``).
_IMAGE_DIGEST = re.compile(r'"sha256": ?"([0-9a-f]{64})"')


@dataclass(frozen=True, slots=True)
class Exchange:
    """One exchange as it is logged."""

    status: str
    question: str
    answer: str
    messages: Sequence[dict[str, object]]
    thinking: str = ""
    attachments: str = ""
    model: str = ""
    server: str = ""
    profile: str = ""
    figures: dict[str, object] | None = None
    time: str = ""  # when it ended; now, when not given


@dataclass(frozen=True, slots=True)
class Summary:
    """A conversation in the list: its id, when, the model, its first line, its size."""

    id: int
    started: str
    model: str
    first_line: str
    exchanges: int
    name: str | None


@dataclass(frozen=True, slots=True)
class Hit:
    """A search hit: the conversation, the exchange, when, and a snippet around the terms."""

    conversation_id: int
    exchange_id: int
    time: str
    snippet: str


class LogStore:
    """The log database at ``path``, opened on first use.

    Raises (from every method):
        StoreError: the database cannot be opened, read or written (one line).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self.notice = ""  # what opening it did that the user should know (a file moved aside)

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with contextlib.suppress(FileExistsError):  # made here, so that it is 0600
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            db, before = self._open()
        except sqlite3.DatabaseError as exc:
            if "not a database" in str(exc) or "malformed" in str(exc):
                self._set_aside(str(exc))
                return self._connect()
            raise StoreError(f"The log {self.path} cannot be opened ({exc}).") from None
        except OSError as exc:
            raise StoreError(
                f"The log {self.path} cannot be opened ({exc.strerror or exc})."
            ) from None
        self._db = db
        if before < _STATES_KEPT:
            # A new log (version 0), or one from before it kept the conversation in use:
            # the session files come in, once each.
            from zorac_repl.log.session_import import import_sessions

            said = import_sessions(self, self.path.parent)
            self.notice = " ".join(part for part in (self.notice, said) if part)
        return db

    def _open(self) -> tuple[sqlite3.Connection, int]:
        """The connection, the schema brought up to date, and the version it was at.

        Switching a new file to WAL takes a lock SQLite does not wait for: two processes
        opening a new log at once try again, within the busy timeout.
        """
        deadline = time.monotonic() + _BUSY_SECONDS
        while True:
            db = sqlite3.connect(self.path, timeout=_BUSY_SECONDS, isolation_level=None)
            try:
                db.execute(f"PRAGMA busy_timeout = {int(_BUSY_SECONDS * 1000)}")
                db.execute("PRAGMA foreign_keys = ON")
                db.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten
                db.execute("PRAGMA journal_mode = WAL")
                return db, self._migrate(db)
            except sqlite3.OperationalError as exc:
                db.close()
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
            except BaseException:
                db.close()
                raise

    def _set_aside(self, reason: str) -> None:
        target = free_path(
            self.path.parent, f"{self.path.stem}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}", ".db"
        )
        try:
            os.replace(self.path, target)
        except OSError as exc:
            raise StoreError(
                f"The log {self.path} is damaged ({reason}) and cannot be moved aside "
                f"({exc.strerror})."
            ) from None
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{suffix}", f"{target}{suffix}")
        self.notice = (
            f"The log was damaged ({reason}); it was moved to {target}, and a new one starts."
        )

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> int:
        """Bring the schema up to date; returns the version it was at."""
        version = before = int(db.execute("PRAGMA user_version").fetchone()[0])
        while version < SCHEMA_VERSION:
            db.execute("BEGIN IMMEDIATE")
            try:
                # Another process may have migrated meanwhile: read the version again.
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version < SCHEMA_VERSION:
                    for statement in statements(MIGRATIONS[version]):
                        db.execute(statement)
                    version += 1
                    db.execute(f"PRAGMA user_version = {version}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return before

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise StoreError(f"The log {self.path} could not be written ({exc}).") from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    def new_conversation(self, name: str | None = None) -> int:
        with self.writing() as db:
            cursor = db.execute(
                "INSERT INTO conversations(started, name) VALUES (?, ?)", (now(), name)
            )
            return int(cursor.lastrowid or 0)

    def log(self, conversation_id: int, exchange: Exchange) -> int:
        """Keep ``exchange`` in the conversation; returns its id."""
        with self.writing() as db:
            return self.insert(db, conversation_id, exchange)

    @staticmethod
    def insert(db: sqlite3.Connection, conversation_id: int, exchange: Exchange) -> int:
        cursor = db.execute(
            "INSERT INTO exchanges(conversation_id, time, status, model, server, profile, "
            "question, answer, thinking, attachments, messages, figures) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                exchange.time or now(),
                exchange.status,
                exchange.model,
                exchange.server,
                exchange.profile,
                exchange.question,
                exchange.answer,
                exchange.thinking,
                exchange.attachments,
                json.dumps(list(exchange.messages), ensure_ascii=False),
                json.dumps(exchange.figures or {}),
            ),
        )
        return int(cursor.lastrowid or 0)

    def conversations(self, limit: int = 20) -> list[Summary]:
        """The newest conversations with an exchange or a message, newest first."""
        rows = self.read(
            "SELECT c.id, c.started, c.name, "
            "(SELECT model FROM exchanges WHERE conversation_id = c.id ORDER BY id DESC LIMIT 1), "
            "(SELECT question FROM exchanges WHERE conversation_id = c.id ORDER BY id LIMIT 1), "
            "(SELECT count(*) FROM exchanges WHERE conversation_id = c.id) "
            "FROM conversations c WHERE c.size > 0 OR EXISTS "
            "(SELECT 1 FROM exchanges WHERE conversation_id = c.id) "
            "ORDER BY c.id DESC LIMIT ?",
            (limit,),
        )
        return [
            Summary(row[0], row[1], row[3] or "", _first_line(row[4] or ""), row[5], row[2])
            for row in rows
        ]

    def search(self, terms: str, limit: int = 20) -> list[Hit]:
        """Exchanges whose question or answer hold ``terms``, newest first."""
        query = " ".join(f'"{word.replace(chr(34), "")}"' for word in terms.split() if word)
        if not query:
            return []
        # The index is walked newest first and stops at the limit: a common word over a
        # million messages costs no more than a rare one.
        found = self.read(
            "SELECT rowid, snippet(exchanges_text, -1, '\x02', '\x03', '…', 12) "
            "FROM exchanges_text WHERE exchanges_text MATCH ? ORDER BY rowid DESC LIMIT ?",
            (query, limit),
        )
        if not found:
            return []
        places = {
            row[0]: (row[1], row[2])
            for row in self.read(
                "SELECT id, conversation_id, time FROM exchanges WHERE id IN "
                f"({','.join('?' * len(found))})",
                [row[0] for row in found],
            )
        }
        rows = [
            (places[rowid][0], rowid, places[rowid][1], snippet)
            for rowid, snippet in found
            if rowid in places
        ]
        return [Hit(row[0], row[1], row[2], row[3]) for row in rows]

    def messages(
        self, conversation_id: int, complete_only: bool = True
    ) -> list[dict[str, Any]] | None:
        """The saved messages of a conversation's exchanges, oldest first; ``None`` when
        there is no such conversation. Failed and interrupted exchanges are left out:
        they are never sent back as history."""
        known = self.read("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,))
        if not known:
            return None
        where = " AND status = 'complete'" if complete_only else ""
        rows = self.read(
            f"SELECT messages FROM exchanges WHERE conversation_id = ?{where} ORDER BY id",
            (conversation_id,),
        )
        messages: list[dict[str, Any]] = []
        for (text,) in rows:
            with contextlib.suppress(ValueError):
                loaded = json.loads(text)
                if isinstance(loaded, list):
                    messages += [m for m in loaded if isinstance(m, dict)]
        return messages

    def last_seen(self, conversation_id: int) -> tuple[str, str]:
        """The model and the server of a conversation's last exchange."""
        rows = self.read(
            "SELECT model, server FROM exchanges WHERE conversation_id = ? ORDER BY id DESC "
            "LIMIT 1",
            (conversation_id,),
        )
        return (rows[0][0] or "", rows[0][1] or "") if rows else ("", "")

    def forget(self, conversation_id: int) -> bool:
        """Delete a conversation for real: its rows, its state, their search entries, and the
        files of its attached images that nothing else names (another exchange or state,
        an old session file)."""
        texts = self.read(
            "SELECT messages FROM exchanges WHERE conversation_id = ? UNION ALL "
            "SELECT state FROM conversations WHERE id = ? AND state IS NOT NULL",
            (conversation_id, conversation_id),
        )
        digests = {digest for (text,) in texts for digest in _IMAGE_DIGEST.findall(text)}
        with self.writing() as db:
            db.execute("DELETE FROM exchanges WHERE conversation_id = ?", (conversation_id,))
            cursor = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            found = cursor.rowcount > 0
            # The search index keeps deleted terms in its segments until they are merged.
            db.execute("INSERT INTO exchanges_text(exchanges_text) VALUES ('optimize')")
        with contextlib.suppress(sqlite3.Error):
            db = self._connect()
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._remove_unused_images(digests)
        return found

    def _remove_unused_images(self, digests: set[str]) -> None:
        if not digests:
            return
        data = self.path.parent
        # The session files of before the log, left as they were, name images too.
        legacy = sorted(data.glob("session*.json")) + sorted((data / "sessions").glob("*.json"))
        named = set()
        for path in legacy:
            with contextlib.suppress(OSError):
                named |= set(
                    _IMAGE_DIGEST.findall(path.read_text(encoding="utf-8", errors="replace"))
                )

        def still_named(digest: str) -> bool:
            pattern = (f"%{digest}%",)
            return digest in named or bool(
                self.read("SELECT 1 FROM exchanges WHERE messages LIKE ? LIMIT 1", pattern)
                or self.read("SELECT 1 FROM conversations WHERE state LIKE ? LIMIT 1", pattern)
            )

        ImageFiles(data / "images").remove_unused(digests, still_named)

    def read(self, sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
        try:
            return self._connect().execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"The log {self.path} could not be read ({exc}).") from None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _first_line(text: str) -> str:
    stripped = text.strip()
    return stripped.splitlines()[0] if stripped else ""
