"""The session files of before the log, imported into it once, and left as they are.

``session.json`` and each ``sessions/NAME.json`` become the conversation of that name,
its state whole (summary, own system prompt, thinking, exact count) and an exchange per
question; the ``/clear`` backups beside them become nameless conversations;
``last-session`` says which one ``-c`` continues. A file is imported once
(``imported_files``), in one transaction: all of it or nothing. One that cannot be read
is reported and skipped, never deleted; nothing here writes a session file.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import (
    AssistantMessage,
    Message,
    UserMessage,
    to_json,
)
from zorac_repl.log.names import DEFAULT_NAME, check_name
from zorac_repl.log.session_outcomes import figures_of
from zorac_repl.log.store import Exchange, LogStore, now

__all__ = ["import_sessions", "session_files"]

# What the old store wrote beside a session that is not one: a quarantined file.
_QUARANTINED = re.compile(r".*\.corrupt-\d{8}-\d{6}(-\d+)?")
_BACKUP = re.compile(r"(.*)-backup-\d{8}-\d{6}(-\d+)?")


def session_files(data_dir: Path) -> list[tuple[str | None, Path]]:
    """Each old session file with its name (``None``: a ``/clear`` backup): the default
    first, then the named ones, then the backups, oldest first."""
    found: list[tuple[str | None, Path]] = []
    default = data_dir / "session.json"
    if default.is_file():
        found.append((DEFAULT_NAME, default))
    backups = sorted(data_dir.glob("session-backup-*.json"))
    folder = data_dir / "sessions"
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        stem = path.stem
        if _QUARANTINED.fullmatch(stem) or check_name(stem) is not None:
            continue
        if _BACKUP.fullmatch(stem):
            backups.append(path)
        else:
            found.append((stem, path))
    return found + [(None, path) for path in sorted(backups, key=_modified)]


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def import_sessions(store: LogStore, data_dir: Path) -> str:
    """Import the session files not imported yet; the line that says what came of it."""
    last = _last_session(data_dir)
    imported = exchanges = 0
    problems = []
    for name, path in session_files(data_dir):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            conversation = Conversation()
            conversation.load_json(data)
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, ShapeError) as exc:
            if not _was_imported(store, path):
                problems.append(f"{path.name} ({exc})")
            continue
        used = time.time() if name == last else _modified(path)
        groups = _exchanges(conversation.messages)
        if _import(store, path, name, data, figures_of(conversation), used, groups):
            imported += 1
            exchanges += len(groups)
    said = []
    if imported:
        said.append(
            f"Imported {imported} saved session{'s' * (imported != 1)} ({exchanges} "
            f"exchange{'s' * (exchanges != 1)}) into the log, where sessions are kept now: "
            "zorac-repl log lists them; the files are left as they were."
        )
    if problems:
        said.append(f"Not imported, unreadable: {', '.join(problems)}.")
    return " ".join(said)


def _was_imported(store: LogStore, path: Path) -> bool:
    return bool(store.read("SELECT 1 FROM imported_files WHERE path = ?", (str(path),)))


def _import(
    store: LogStore,
    path: Path,
    name: str | None,
    state: object,
    figures: tuple[int, int, str],
    used: float,
    exchanges: list[Exchange],
) -> bool:
    """One file, all or nothing; False when it was imported before. A file the log of
    before its states were kept imported (exchanges only) gets its state and name now."""
    messages, tokens, opening = figures
    text = json.dumps(state, ensure_ascii=False)
    with store.writing() as db:
        if (
            name is not None
            and db.execute(
                "SELECT 1 FROM conversations WHERE name = ? AND state IS NOT NULL", (name,)
            ).fetchone()
        ):
            name = None  # a session of that name lives in the log already
        done = db.execute(
            "SELECT conversation_id FROM imported_files WHERE path = ?", (str(path),)
        ).fetchone()
        if done is not None:
            if done[0] is not None:
                db.execute(
                    "UPDATE conversations SET state = ?, size = ?, tokens = ?, opening = ?, "
                    "used = ? WHERE id = ? AND state IS NULL",
                    (text, messages, tokens, opening, used, done[0]),
                )
            return False
        if name is not None:
            db.execute("UPDATE conversations SET name = NULL WHERE name = ?", (name,))
        cursor = db.execute(
            "INSERT INTO conversations(started, name, state, size, tokens, opening, used) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                exchanges[0].time if exchanges and exchanges[0].time else now(),
                name,
                text,
                messages,
                tokens,
                opening,
                used,
            ),
        )
        conversation = int(cursor.lastrowid or 0)
        for exchange in exchanges:
            store.insert(db, conversation, exchange)
        db.execute(
            "INSERT INTO imported_files(path, conversation_id) VALUES (?, ?)",
            (str(path), conversation),
        )
    return True


def _last_session(data_dir: Path) -> str:
    """The session ``last-session`` names (``default`` when it names none)."""
    try:
        name = (data_dir / "last-session").read_text(encoding="utf-8").strip()
    except OSError:
        return DEFAULT_NAME
    return name if check_name(name) is None else DEFAULT_NAME


def _exchanges(messages: list[Message]) -> list[Exchange]:
    groups: list[list[Message]] = []
    for message in messages:
        if isinstance(message, UserMessage) or not groups:
            groups.append([])
        groups[-1].append(message)
    found = []
    for group in groups:
        asked = group[0]
        answers = [m for m in group if isinstance(m, AssistantMessage) and not m.tool_calls]
        answer = answers[-1] if answers else None
        meta = answer.meta if answer is not None else None
        found.append(
            Exchange(
                status="complete" if answer is not None else "unanswered",
                question=asked.text,
                answer=answer.content if answer is not None else "",
                messages=[to_json(m) for m in group],
                thinking=meta.thinking if meta is not None else "",
                attachments=asked.attachment_line() if isinstance(asked, UserMessage) else "",
                model=(meta.model or "") if meta is not None else "",
                time=(meta.time or "") if meta is not None else "",
            )
        )
    return found
