"""Commands that act on the conversation: clear, save, load, tokens, summaries, retry, think."""

from __future__ import annotations

from zorac_repl.chat.budget import Budget
from zorac_repl.chat.core import Chat, save_failed
from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, count_argument, no_arguments
from zorac_repl.commands.wording import budget_lines, loaded_line
from zorac_repl.conversation.message import AnswerMeta, UserMessage, headline
from zorac_repl.errors import StoreError, ZoracError
from zorac_repl.log.saved import (
    NoSuchSession,
    Restored,
    SavedConversation,
    SessionExists,
    SessionNameRefused,
)

__all__ = [
    "clear",
    "edit",
    "load",
    "retry",
    "save",
    "sessions",
    "show_summary",
    "summarize",
    "system",
    "think",
    "tokens",
    "undo",
]


async def clear(parts: ChatParts, args: str) -> CommandResult:
    """``/clear``: a new conversation under this name; the old one stays in the log."""
    no_arguments(args)
    saved = parts.saved
    keep = parts.settings.current.log
    try:
        cleared = saved.clear(keep=keep)
    except StoreError as exc:
        return CommandResult(f"Not cleared: {exc}", style="red")
    if cleared is None:
        return CommandResult("The conversation is already empty.", style="dim")
    if cleared.kept_as is None:
        return CommandResult(
            f"Cleared. The previous conversation ({cleared.messages} messages) was not kept "
            "(LOG=off).",
            style="dim",
        )
    return CommandResult(
        f"Cleared. The previous conversation ({cleared.messages} messages) stays in the log: "
        f"/resume {cleared.kept_as} takes it up again.",
        style="dim",
    )


async def save(saved: SavedConversation, args: str) -> CommandResult:
    """``/save [NAME]``: save now, or save a copy under a name."""
    count = len(saved.conversation.messages)
    if not args:
        try:
            saved.save(force=True)
        except StoreError as exc:
            return CommandResult(save_failed(exc), style="red")
        return _saved_here(saved, count)
    try:
        name = saved.save_as(args)
    except SessionNameRefused as exc:
        return CommandResult(str(exc), style="red")
    except SessionExists as exc:
        return CommandResult(
            f"A session named {exc.name!r} exists; nothing was saved. /save {exc.name}! "
            "replaces it (it stays in the log, nameless); /load it to see it first.",
            style="red",
        )
    except StoreError as exc:
        return CommandResult(f"{exc} Nothing was saved.", style="red")
    if name == saved.name:
        return _saved_here(saved, count)
    return CommandResult(
        f"Saved a copy of this conversation as {name!r} ({count} messages); /load {name} "
        "switches to it.",
        style="dim",
    )


def _saved_here(saved: SavedConversation, count: int) -> CommandResult:
    return CommandResult(
        f"Saved {count} messages as the session {saved.label!r} (conversation {saved.id} in "
        "the log).",
        style="dim",
    )


async def load(saved: SavedConversation, args: str) -> CommandResult:
    """``/load [NAME]``: reload this session, or switch to a named one."""
    if args and args != saved.name:
        return _switch(saved, args)
    try:
        restored = saved.load()
    except StoreError as exc:
        return CommandResult(str(exc), style="red")
    if restored.loaded is None:
        return CommandResult(f"The session {saved.label!r} has nothing saved yet.")
    return CommandResult(loaded_line(restored.loaded, "Loaded the saved session"), style="dim")


def _switch(saved: SavedConversation, name: str) -> CommandResult:
    try:
        restored = saved.switch(name)
    except SessionNameRefused as exc:
        return CommandResult(str(exc), style="red")
    except NoSuchSession as exc:
        known = ", ".join(exc.known) or "none yet"
        return CommandResult(
            f"There is no saved session {name!r} (saved: {known}); /save {name} makes one.",
            style="red",
        )
    except StoreError as exc:  # this one not saved, that one in use or unreadable
        return CommandResult(f"{exc} Not switched; this conversation is unchanged.", style="red")
    return switched(restored, f"the session {name!r}")


def switched(restored: Restored, what: str, then: str = "") -> CommandResult:
    """What taking up another conversation (``/load NAME``, ``/resume ID``) came to, and
    ``then`` after it."""
    loaded = restored.loaded
    if loaded is None:
        line = f"Switched to {what} (0 messages, ~0 tokens); the previous one was saved."
    else:
        line = loaded_line(loaded, f"Switched to {what}", after="; the previous one was saved")
    return CommandResult(f"{line}{then}", style="dim")


async def sessions(saved: SavedConversation, args: str) -> CommandResult:
    """``/sessions``: each named session with its size, last use and first message."""
    no_arguments(args)
    try:
        found = saved.sessions()
    except StoreError as exc:
        return CommandResult(str(exc), style="red")
    rows = []
    for summary in found:
        mark = "*" if summary.id == saved.id else " "
        used = summary.last_used or "never opened"
        first = f'"{headline(summary.first_message, 200)}"' if summary.first_message else ""
        rows.append(
            (
                f"{mark} {summary.name}",
                f"{summary.messages:>3} msgs",
                f"~{summary.tokens:>6} tokens",
                used,
                first,
            )
        )
    return CommandResult(
        tables=(
            Table(
                "Saved sessions (* this one):",
                tuple(rows),
                "/load NAME switches; /save NAME saves a copy; /search finds the rest.",
                cut=True,
            ),
        )
    )


async def tokens(budget: Budget, args: str) -> CommandResult:
    no_arguments(args)
    return CommandResult("\n".join(budget_lines(await budget.report())))


async def summarize(parts: ChatParts, args: str) -> CommandResult:
    no_arguments(args)
    if parts.chat.summarizable() == 0:
        keep = parts.settings.current.keep_recent_messages
        return CommandResult(
            "Nothing to summarize: the conversation has no messages older than the last "
            f"{keep} (KEEP_RECENT_MESSAGES)."
        )
    try:
        done = await parts.chat.summarize_now()
    except ZoracError as exc:
        return CommandResult(str(exc), style="red")
    return CommandResult(done, style="dim") if done else CommandResult()


async def show_summary(saved: SavedConversation, args: str) -> CommandResult:
    no_arguments(args)
    summary = saved.conversation.summary
    if not summary:
        return CommandResult(
            "There is no summary yet: the conversation has not been "
            "summarized. /summarize makes one."
        )
    return CommandResult("Summary of the earlier conversation:", style="dim", markdown=summary)


async def retry(chat: Chat, args: str) -> CommandResult:
    no_arguments(args)
    asked = await chat.retry()
    if asked is None:
        return CommandResult("Nothing to retry yet.")
    return CommandResult(draft=asked.draft)


async def think(saved: SavedConversation, args: str) -> CommandResult:
    """``/think [N]``: the thinking of the last answer, or of the Nth answer back."""
    back = count_argument(args)
    answers = saved.conversation.answers()
    which = "the last answer" if back == 1 else f"answer {back} back"
    if not answers:
        return CommandResult("There is no answer yet.")
    if back > len(answers):
        count = f"{len(answers)} answer{'' if len(answers) == 1 else 's'}"
        return CommandResult(f"There is no {which}: the conversation has {count}.")
    meta = answers[-back].meta or AnswerMeta()
    if not meta.thinking:
        return CommandResult(
            f"The model did not think before {which} (or its server did not send the thinking)."
        )
    figures = meta.thought_figures()
    detail = f" ({', '.join(figures)})" if figures else ""
    return CommandResult(f"Thinking before {which}{detail}:\n{meta.thinking}", style="dim")


_SOURCES = {
    "flag": "the -s/--system flag",
    "env": "$SYSTEM_PROMPT",
    "file": "SYSTEM_PROMPT in the config file",
}


async def system(parts: ChatParts, args: str) -> CommandResult:
    """``/system [TEXT | reset]``: this conversation's system prompt."""
    saved, settings = parts.saved, parts.settings
    conversation = saved.conversation
    if not args:
        if conversation.own_system_prompt is not None:
            where = "this conversation's own, set with /system (/system reset drops it)"
        else:
            source = settings.current.source_of("SYSTEM_PROMPT")
            where = _SOURCES.get(source, "the built-in default: today's date and the commands")
        return CommandResult(f"System prompt ({where}):\n{conversation.effective_system_prompt}")
    if args.lower() == "reset":
        if conversation.own_system_prompt is None:
            return CommandResult("This conversation already uses the default system prompt.")
        conversation.set_own_system_prompt(None)
        if (failed := _saved(saved)) is not None:
            return failed
        return CommandResult("This conversation uses the default system prompt again.", style="dim")
    conversation.set_own_system_prompt(args)
    if (failed := _saved(saved)) is not None:
        return failed
    return CommandResult(
        f"System prompt set for this conversation ({len(args)} characters), "
        "from the next message on; it is saved with the conversation.",
        style="dim",
    )


async def edit(chat: Chat, args: str) -> CommandResult:
    """``/edit``: the last message back in the input; sending it replaces its exchange."""
    no_arguments(args)
    text = chat.edit()
    if text is None:
        return CommandResult("There is no message to edit yet.")
    return CommandResult(draft=text)


async def undo(saved: SavedConversation, args: str) -> CommandResult:
    """``/undo [N]``: remove the last N exchanges; asks first when N > 1."""
    count = count_argument(args)
    available = saved.conversation.exchanges_at_end()
    if available == 0:
        return CommandResult("There is nothing to undo.")
    if count > available:
        summarized = " (older ones are in the summary)" if saved.conversation.summary else ""
        return CommandResult(
            f"There are only {available} exchanges to undo{summarized}; nothing was removed.",
            style="yellow",
        )

    async def remove() -> CommandResult:
        removed = saved.conversation.remove_exchanges(count)
        failed = _saved(saved)
        lines = [f"Removed {count} exchange{'s' if count > 1 else ''} from the conversation:"]
        lines += [f"  {headline(m.text, 70)}" for m in removed if isinstance(m, UserMessage)]
        if failed is not None:
            lines.append(failed.message)
        return CommandResult("\n".join(lines), style="red" if failed else "dim")

    if count == 1:
        return await remove()
    return CommandResult(
        confirm=f"Remove the last {count} exchanges? This is saved at once: "
        "/load will not bring them back.",
        confirmed=remove,
    )


def _saved(saved: SavedConversation) -> CommandResult | None:
    """Save now; what to say when that failed."""
    try:
        saved.save(force=True)
    except StoreError as exc:
        return CommandResult(save_failed(exc), style="red")
    return None
