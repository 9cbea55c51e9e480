"""``/search TERMS`` and ``/resume ID``: the log, from inside the REPL."""

from __future__ import annotations

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, UsageError
from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.errors import StoreError

__all__ = ["forget", "resume", "search"]


async def search(parts: ChatParts, args: str) -> CommandResult:
    """``/search TERMS``: the log's hits, newest first, each with its conversation's id."""
    if not args.strip():
        raise UsageError
    try:
        hits = parts.log.search(args, limit=20)
    except StoreError as exc:
        return CommandResult(str(exc), style="red")
    if not hits:
        return CommandResult(f"Nothing in the log matches {args.strip()!r}.")
    rows = tuple(
        (
            str(hit.conversation_id),
            hit.time[:16].replace("T", " "),
            " ".join(hit.snippet.split()).replace("\x02", "«").replace("\x03", "»"),
        )
        for hit in hits
    )
    return CommandResult(
        tables=(
            Table(
                heading="In the log, newest first:",
                rows=rows,
                footer="/resume ID continues that conversation.",
            ),
        )
    )


async def resume(parts: ChatParts, args: str) -> CommandResult:
    """``/resume ID``: the logged conversation becomes the current one."""
    if not args.strip().isdigit():
        raise UsageError
    conversation_id = int(args)
    try:
        messages = parts.log.messages(conversation_id)
    except StoreError as exc:
        return CommandResult(str(exc), style="red")
    if messages is None:
        return CommandResult(f"There is no conversation {conversation_id} in the log.", style="red")
    loaded = Conversation(
        counter=parts.conversation.counter, system_prompt=parts.conversation.system_prompt
    )
    try:
        loaded.load_json({"version": 1, "summary": None, "messages": messages})
    except ShapeError as exc:
        return CommandResult(
            f"The conversation {conversation_id} cannot be read ({exc}).", style="red"
        )
    loaded.log_id = conversation_id
    parts.conversation.adopt(loaded)
    try:
        parts.saved.save()
    except StoreError as exc:
        return CommandResult(f"Resumed, but not saved: {exc}", style="yellow")
    conversation = parts.conversation
    return CommandResult(
        f"Resumed conversation {conversation_id}: {len(conversation.messages)} messages, "
        f"~{conversation.token_count()} tokens; the next message continues it."
    )


async def forget(parts: ChatParts, args: str) -> CommandResult:
    """``/forget``: this conversation deleted for real, from the log and the session."""
    if args.strip():
        raise UsageError
    conversation = parts.conversation
    if not conversation.messages and conversation.log_id is None:
        return CommandResult("There is nothing to forget: the conversation is empty.")

    async def confirmed() -> CommandResult:
        logged = conversation.log_id
        try:
            if logged is not None:
                parts.log.forget(logged)
        except StoreError as exc:
            return CommandResult(f"{exc} Nothing was deleted.", style="red")
        conversation.clear()
        try:
            parts.saved.save()
        except StoreError as exc:
            return CommandResult(f"Deleted from the log, but the session: {exc}", style="red")
        return CommandResult(
            "Forgotten: this conversation is gone from the log and from the session (no "
            "backup was kept). What is on the screen stays there."
        )

    count = len(conversation.messages)
    return CommandResult(
        confirm=f"Delete this conversation ({count} messages) for real, from the log and "
        "the session, with no backup?",
        confirmed=confirmed,
    )
