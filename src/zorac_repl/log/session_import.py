"""The saved session files, imported into the log once, and left as they are.

``session.json`` and each ``sessions/NAME.json`` (not the ``/clear`` backups nor the
quarantined files) become one logged conversation each, named after the session, an
exchange per question. A file is imported once (``imported_files``), in one transaction:
all of it or nothing. One that cannot be read is reported and skipped, never deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import (
    AssistantMessage,
    Message,
    UserMessage,
    to_json,
)
from zorac_repl.conversation.saved import saved_files
from zorac_repl.log.store import Exchange, LogStore

__all__ = ["import_sessions"]


def import_sessions(store: LogStore, data_dir: Path) -> str:
    """Import the session files not imported yet; the line that says what came of it."""
    imported = exchanges = 0
    problems = []
    for name, path in saved_files(data_dir):
        if store.imported(str(path)):
            continue
        try:
            conversation = Conversation()
            conversation.load_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError, ShapeError) as exc:
            problems.append(f"{path.name} ({exc})")
            continue
        groups = _exchanges(conversation.messages)
        store.import_conversation(str(path), name, groups)
        imported += 1
        exchanges += len(groups)
    said = []
    if imported:
        said.append(
            f"Imported {imported} saved session{'s' * (imported != 1)} ({exchanges} "
            f"exchange{'s' * (exchanges != 1)}) into the log: zorac-repl log lists them; the "
            "files are left as they were."
        )
    if problems:
        said.append(f"Not imported, unreadable: {', '.join(problems)}.")
    return " ".join(said)


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
