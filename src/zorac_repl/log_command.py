"""``zorac-repl log``: the conversations kept, a search through them, one read whole.

::

    zorac-repl log                  the last conversations, one line each
    zorac-repl log -q TERMS         full-text hits, newest first, terms highlighted
    zorac-repl log ID               the conversation as Markdown (as /export writes it)
    zorac-repl log rm ID            delete it for real
    --json                          a list of objects for scripts, each with its "id"
    -n N                            at most N

A question that is the one word ``log`` is still asked with ``zorac-repl -- log``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence

from zorac_repl.errors import StoreError
from zorac_repl.log.locks import ConversationLock
from zorac_repl.log.sessions import SessionRows
from zorac_repl.log.store import LogStore
from zorac_repl.paths import log_file
from zorac_repl.render.safe_text import visible_controls

__all__ = ["run_log"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zorac-repl log", description="The log of every exchange, and a search through it."
    )
    parser.add_argument("what", nargs="*", help="a conversation's ID, or rm ID")
    parser.add_argument("-q", "--query", metavar="TERMS", help="full-text search")
    parser.add_argument("-n", type=int, default=20, metavar="N", help="at most N (20)")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    return parser


def run_log(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    path = log_file(os.environ)
    sessions = (path.parent / "session.json").exists() or (path.parent / "sessions").is_dir()
    if not path.exists() and not sessions:
        print("The log is empty: nothing has been asked yet (or LOG is off).", file=sys.stderr)
        return 0 if not args.what else 1
    store = LogStore(path)
    try:
        store.conversations(1)  # opens it: a first run imports the saved sessions
        if store.notice:
            print(store.notice, file=sys.stderr)
        if args.what[:1] == ["rm"] and len(args.what) == 2 and args.what[1].isdigit():
            return _remove(store, int(args.what[1]))
        if len(args.what) == 1 and args.what[0].isdigit():
            return _show(store, int(args.what[0]), args.json)
        if args.what:
            print(
                f"zorac-repl log: {' '.join(args.what)!r} is not a conversation's ID.",
                file=sys.stderr,
            )
            return 2
        if args.query is not None:
            return _search(store, args.query, args.n, args.json)
        return _list(store, args.n, args.json)
    except StoreError as exc:
        print(f"zorac-repl: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _remove(store: LogStore, conversation_id: int) -> int:
    """``log rm ID``: deleted for real, unless a running REPL has it (it would write it
    back, nameless, at its next answer: ``/forget`` there does it)."""
    lock = ConversationLock(store.path.parent, conversation_id)
    if not lock.take():
        print(
            f"zorac-repl: conversation {conversation_id} is open in a running zorac-repl; "
            "/forget there deletes it.",
            file=sys.stderr,
        )
        return 1
    try:
        if not store.forget(conversation_id):
            print(f"zorac-repl: there is no conversation {conversation_id}.", file=sys.stderr)
            return 1
    finally:
        lock.release()
    print(f"Deleted conversation {conversation_id}.", file=sys.stderr)
    return 0


def _list(store: LogStore, limit: int, as_json: bool) -> int:
    found = store.conversations(limit)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": c.id,
                        "started": c.started,
                        "model": c.model,
                        "first_line": c.first_line,
                        "exchanges": c.exchanges,
                        "name": c.name,
                    }
                    for c in found
                ],
                ensure_ascii=False,
            )
        )
        return 0
    for c in found:
        named = f" [{c.name}]" if c.name else ""
        count = f"{c.exchanges} exchange{'s' * (c.exchanges != 1)}"
        when = c.started[:16].replace("T", " ")
        line = f"{c.id:>5}  {when}  {c.model or '-'}  {c.first_line[:60]}  ({count}){named}"
        print(visible_controls(line))
    return 0


def _search(store: LogStore, terms: str, limit: int, as_json: bool) -> int:
    hits = store.search(terms, limit)
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "id": h.conversation_id,
                        "exchange": h.exchange_id,
                        "time": h.time,
                        "snippet": h.snippet.replace("\x02", "").replace("\x03", ""),
                    }
                    for h in hits
                ],
                ensure_ascii=False,
            )
        )
        return 0
    bold = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    start, end = ("\x1b[1m", "\x1b[0m") if bold else ("«", "»")
    for hit in hits:
        snippet = visible_controls(" ".join(hit.snippet.split()))
        snippet = snippet.replace("␂", start).replace("␃", end)
        print(f"{hit.conversation_id:>5}  {hit.time[:16].replace('T', ' ')}  {snippet}")
    if not hits:
        print(f"Nothing in the log matches {terms!r}.", file=sys.stderr)
    return 0


def _show(store: LogStore, conversation_id: int, as_json: bool) -> int:
    from zorac_repl.commands.export import to_markdown
    from zorac_repl.conversation.history import Conversation, ShapeError
    from zorac_repl.settings.table import Settings

    messages = store.messages(conversation_id)
    if messages is None:
        print(f"zorac-repl: there is no conversation {conversation_id}.", file=sys.stderr)
        return 1
    if not messages:  # a copy saved under a name (/save NAME) has a state, no exchanges
        try:
            state = SessionRows(store).state(conversation_id)
        except (ValueError, RecursionError):
            state = None
        kept = state.get("messages") if isinstance(state, dict) else None
        messages = [m for m in kept if isinstance(m, dict)] if isinstance(kept, list) else []
    if as_json:
        print(json.dumps({"id": conversation_id, "messages": messages}, ensure_ascii=False))
        return 0
    conversation = Conversation()
    try:
        conversation.load_json({"version": 1, "summary": None, "messages": messages})
    except ShapeError as exc:
        print(
            f"zorac-repl: the conversation {conversation_id} cannot be read ({exc}).",
            file=sys.stderr,
        )
        return 1
    model, server = store.last_seen(conversation_id)
    sys.stdout.write(to_markdown(conversation, Settings(model=model), time.time(), server))
    return 0
