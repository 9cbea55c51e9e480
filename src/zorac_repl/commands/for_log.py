"""``/search TERMS`` and ``/resume ID``: the log, from inside the REPL."""

from __future__ import annotations

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, UsageError
from zorac_repl.commands.for_conversation import switched
from zorac_repl.errors import StoreError
from zorac_repl.log.saved import NoSuchSession

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
    """``/resume ID``: the logged conversation becomes the current one; this one is saved."""
    if not args.strip().isdigit():
        raise UsageError
    conversation_id = int(args)
    try:
        restored = parts.saved.resume(conversation_id)
    except NoSuchSession:
        return CommandResult(
            f"There is no conversation {conversation_id} in the log (zorac-repl log lists "
            "them; /search finds one).",
            style="red",
        )
    except StoreError as exc:
        return CommandResult(f"{exc} Not resumed; this conversation is unchanged.", style="red")
    return switched(restored, f"conversation {conversation_id}", " The next message continues it.")


async def forget(parts: ChatParts, args: str) -> CommandResult:
    """``/forget``: this conversation deleted for real, from the log."""
    if args.strip():
        raise UsageError
    conversation = parts.conversation
    if not conversation.messages and not conversation.summary:
        return CommandResult("There is nothing to forget: the conversation is empty.")

    async def confirmed() -> CommandResult:
        try:
            parts.saved.forget()
        except StoreError as exc:
            return CommandResult(f"{exc} Nothing was deleted.", style="red")
        return CommandResult(
            "Forgotten: this conversation is gone from the log, its search entries and the "
            "image files nothing else names with it. What is on the screen stays there."
        )

    count = len(conversation.messages)
    return CommandResult(
        confirm=f"Delete this conversation ({count} messages) for real, from the log, "
        "with no copy kept?",
        confirmed=confirmed,
    )
