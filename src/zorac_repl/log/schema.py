"""The log's schema, version by version: each migration takes a database from its index
to the next version (``PRAGMA user_version``), and runs once, in a transaction."""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "statements"]

SCHEMA_VERSION = 2

# Each migration takes the database from its index to the next version.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        name TEXT
    );
    CREATE TABLE exchanges (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        time TEXT NOT NULL,
        status TEXT NOT NULL,
        model TEXT,
        server TEXT,
        profile TEXT,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        thinking TEXT NOT NULL DEFAULT '',
        attachments TEXT NOT NULL DEFAULT '',
        messages TEXT NOT NULL,
        figures TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX exchanges_by_conversation ON exchanges(conversation_id, id);
    CREATE VIRTUAL TABLE exchanges_text USING fts5(
        question, answer, content='exchanges', content_rowid='id'
    );
    CREATE TRIGGER exchanges_added AFTER INSERT ON exchanges BEGIN
        INSERT INTO exchanges_text(rowid, question, answer)
        VALUES (new.id, new.question, new.answer);
    END;
    CREATE TRIGGER exchanges_removed AFTER DELETE ON exchanges BEGIN
        INSERT INTO exchanges_text(exchanges_text, rowid, question, answer)
        VALUES ('delete', old.id, old.question, old.answer);
    END;
    """,
    # 2: which session files were imported, once (they stay as they are).
    """
    CREATE TABLE imported_files (
        path TEXT PRIMARY KEY,
        conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL
    );
    """,
)


def statements(script: str) -> list[str]:
    """A migration's statements, one by one (a trigger's body holds semicolons)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements
