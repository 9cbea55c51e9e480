"""The log's schema, version by version: each migration takes a database from its index
to the next version (``PRAGMA user_version``), and runs once, in a transaction."""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "statements"]

SCHEMA_VERSION = 3

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
    # 3: the conversation in use lives here too (the session files retire): its state as
    # the chat resumes it (summary, own system prompt and all), its size, its count and
    # opening line for /sessions, and when a REPL last took it up (for -c). A name is on
    # one conversation at most: a duplicate left by version 2 stays on the newest.
    """
    ALTER TABLE conversations ADD COLUMN state TEXT;
    ALTER TABLE conversations ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN opening TEXT NOT NULL DEFAULT '';
    ALTER TABLE conversations ADD COLUMN used REAL;
    UPDATE conversations SET name = NULL WHERE name IS NOT NULL AND id NOT IN
        (SELECT max(id) FROM conversations WHERE name IS NOT NULL GROUP BY name);
    CREATE UNIQUE INDEX conversations_by_name ON conversations(name);
    CREATE INDEX conversations_by_use ON conversations(used);
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
