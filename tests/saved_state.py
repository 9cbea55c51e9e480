"""What the log keeps of the sessions, read straight from its database, as a test sees it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

# Session files as the release before the log wrote them (see its README).
BEFORE_THE_LOG = Path(__file__).parent / "data" / "sessions-before-the-log"


def saved_state(data_dir: Path, name: str = "default") -> dict[str, Any]:
    """The saved state of the session ``name`` (``KeyError`` when there is none)."""
    with sqlite3.connect(data_dir / "log.db") as db:
        row = db.execute("SELECT state FROM conversations WHERE name = ?", (name,)).fetchone()
    if row is None or row[0] is None:
        raise KeyError(name)
    state: dict[str, Any] = json.loads(row[0])
    return state


def state_of(data_dir: Path, conversation_id: int) -> dict[str, Any]:
    """The saved state of conversation ``conversation_id``."""
    with sqlite3.connect(data_dir / "log.db") as db:
        row = db.execute(
            "SELECT state FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
    state: dict[str, Any] = json.loads(row[0])
    return state


def session_names(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "log.db") as db:
        rows = db.execute(
            "SELECT name FROM conversations WHERE name IS NOT NULL ORDER BY name"
        ).fetchall()
    return [row[0] for row in rows]
