"""The conversations in use, as rows of the log: their state, their names, their last use.

A conversation's ``state`` is what the chat resumes (``Conversation.to_json``: messages,
summary, its own system prompt, the last exact count), written in the same transaction as
the exchange that changed it, so the state and the log never disagree after a crash. A
name is on one conversation at most; ``/clear`` moves it to a new one and the old one
stays in the log, nameless.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from zorac_repl.log.store import Exchange, LogStore, now

__all__ = ["SessionRow", "SessionRows"]


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A conversation as ``/sessions`` lists it."""

    id: int
    name: str | None
    messages: int
    tokens: int
    used: float | None  # when a REPL last took it up (Unix time)
    opening: str


class SessionRows:
    """The session columns of ``store``'s conversations.

    Raises (from every method):
        StoreError: the database cannot be opened, read or written (one line).
    """

    def __init__(self, store: LogStore) -> None:
        self.store = store

    def find(self, name: str) -> int | None:
        rows = self.store.read("SELECT id FROM conversations WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else None

    def name_of(self, conversation_id: int) -> tuple[bool, str | None]:
        """Whether the conversation exists, and its name."""
        rows = self.store.read("SELECT name FROM conversations WHERE id = ?", (conversation_id,))
        return (True, rows[0][0]) if rows else (False, None)

    def named(self, name: str) -> int:
        """The conversation named ``name``, made (empty) when there is none."""
        with self.store.writing() as db:
            made = self._made(db, name)
            if made is not None:
                return made
            row = db.execute("SELECT id FROM conversations WHERE name = ?", (name,)).fetchone()
            return int(row[0])

    def named_if_free(self, name: str) -> int | None:
        """A new, empty conversation named ``name``; ``None`` when the name is taken."""
        with self.store.writing() as db:
            return self._made(db, name)

    @staticmethod
    def _made(db: sqlite3.Connection, name: str) -> int | None:
        cursor = db.execute(
            "INSERT INTO conversations(started, name) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
            (now(), name),
        )
        return int(cursor.lastrowid or 0) if cursor.rowcount else None

    def state(self, conversation_id: int) -> Any:
        """The conversation's saved state (parsed), or ``None`` when it has none.

        Raises:
            ValueError, RecursionError: the state is not JSON this can read.
        """
        rows = self.store.read("SELECT state FROM conversations WHERE id = ?", (conversation_id,))
        if not rows or rows[0][0] is None:
            return None
        return json.loads(rows[0][0])

    def save(
        self,
        conversation_id: int,
        state: dict[str, Any],
        figures: tuple[int, int, str],
        exchange: Exchange | None = None,
    ) -> None:
        """Write the state (with its messages, tokens and opening line) and, in the same
        transaction, the exchange that changed it."""
        messages, tokens, opening = figures
        text = json.dumps(state, ensure_ascii=False)
        with self.store.writing() as db:
            cursor = db.execute(
                "UPDATE conversations SET state = ?, size = ?, tokens = ?, opening = ? "
                "WHERE id = ?",
                (text, messages, tokens, opening, conversation_id),
            )
            if cursor.rowcount == 0:  # deleted meanwhile by hand: it comes back, nameless
                db.execute(
                    "INSERT INTO conversations(id, started, state, size, tokens, opening) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (conversation_id, now(), text, messages, tokens, opening),
                )
            if exchange is not None:
                self.store.insert(db, conversation_id, exchange)

    def start_over(self, conversation_id: int, keep_old: bool) -> int:
        """``/clear``: a new, empty conversation takes the old one's name; the old one
        stays in the log nameless, or goes (``keep_old`` False: ``LOG=off``)."""
        with self.store.writing() as db:
            row = db.execute(
                "SELECT name FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone()
            name = row[0] if row else None
            if keep_old:
                db.execute("UPDATE conversations SET name = NULL WHERE id = ?", (conversation_id,))
            else:
                db.execute("DELETE FROM exchanges WHERE conversation_id = ?", (conversation_id,))
                db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            cursor = db.execute(
                "INSERT INTO conversations(started, name, used) VALUES (?, ?, ?)",
                (now(), name, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def copy_as(
        self, name: str, state: dict[str, Any], figures: tuple[int, int, str], replace: bool
    ) -> int | None:
        """``/save NAME``: a new conversation named ``name`` holding ``state``; ``None``
        when the name is taken and ``replace`` is False. One that is replaced keeps its
        exchanges in the log, nameless."""
        messages, tokens, opening = figures
        with self.store.writing() as db:
            taken = db.execute("SELECT id FROM conversations WHERE name = ?", (name,)).fetchone()
            if taken is not None:
                if not replace:
                    return None
                db.execute("UPDATE conversations SET name = NULL WHERE id = ?", (taken[0],))
            cursor = db.execute(
                "INSERT INTO conversations(started, name, state, size, tokens, opening) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (now(), name, json.dumps(state, ensure_ascii=False), messages, tokens, opening),
            )
            return int(cursor.lastrowid or 0)

    def touch(self, conversation_id: int) -> None:
        """Note the conversation as the one a REPL used last (``-c``)."""
        with self.store.writing() as db:
            db.execute(
                "UPDATE conversations SET used = ? WHERE id = ?", (time.time(), conversation_id)
            )

    def last_used(self) -> int | None:
        rows = self.store.read(
            "SELECT id FROM conversations WHERE used IS NOT NULL ORDER BY used DESC, id DESC "
            "LIMIT 1",
            (),
        )
        return int(rows[0][0]) if rows else None

    def names(self) -> list[str]:
        return [
            row[0]
            for row in self.store.read(
                "SELECT name FROM conversations WHERE name IS NOT NULL ORDER BY name", ()
            )
        ]

    def sessions(self) -> list[SessionRow]:
        """The named conversations, ``default`` first, then by name."""
        rows = self.store.read(
            "SELECT id, name, size, tokens, used, opening FROM conversations "
            "WHERE name IS NOT NULL ORDER BY name != 'default', name",
            (),
        )
        return [SessionRow(*row) for row in rows]
