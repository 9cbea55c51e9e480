"""Commands that act on the conversation: clear, save, load, tokens, summaries, retry, think."""

from __future__ import annotations

from zorac_repl.budget import Budget
from zorac_repl.chat import Chat
from zorac_repl.commands.base import CommandResult, UsageError, no_arguments, result_of
from zorac_repl.saved_conversation import SavedConversation

__all__ = ["clear", "load", "retry", "save", "show_summary", "summarize", "think", "tokens"]


async def clear(saved: SavedConversation, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(saved.clear())


async def save(saved: SavedConversation, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(saved.save_now())


async def load(saved: SavedConversation, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(saved.load())


async def tokens(budget: Budget, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(await budget.report())


async def summarize(chat: Chat, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(await chat.summarize_now())


async def show_summary(saved: SavedConversation, args: str) -> CommandResult:
    no_arguments(args)
    summary = saved.conversation.summary
    if not summary:
        return CommandResult("There is no summary yet: the conversation has not been "
                             "summarized. /summarize makes one.")
    return CommandResult(f"Summary of the earlier conversation:\n{summary}")


async def retry(chat: Chat, args: str) -> CommandResult:
    no_arguments(args)
    draft = await chat.retry()
    if draft is None:
        return CommandResult("Nothing to retry yet.")
    return CommandResult(draft=draft)


async def think(saved: SavedConversation, args: str) -> CommandResult:
    """``/think [N]``: the thinking of the last answer, or of the Nth answer back."""
    try:
        back = int(args) if args else 1
    except ValueError:
        raise UsageError from None
    if back < 1:
        raise UsageError
    answers = [m for m in saved.conversation.messages if m["role"] == "assistant"]
    which = "the last answer" if back == 1 else f"answer {back} back"
    if not answers:
        return CommandResult("There is no answer yet.")
    if back > len(answers):
        count = f"{len(answers)} answer{'' if len(answers) == 1 else 's'}"
        return CommandResult(f"There is no {which}: the conversation has {count}.")
    meta = answers[-back].get("meta") or {}
    thinking = meta.get("thinking")
    if not isinstance(thinking, str) or not thinking:
        return CommandResult(f"The model did not think before {which} (or its server did "
                             "not send the thinking).")
    figures = [f"{meta['thinking_tokens']} tokens"] if isinstance(
        meta.get("thinking_tokens"), int) else []
    if isinstance(meta.get("thinking_seconds"), int | float) and meta["thinking_seconds"]:
        figures.append(f"{meta['thinking_seconds']:.1f}s")
    detail = f" ({', '.join(figures)})" if figures else ""
    return CommandResult(f"Thinking before {which}{detail}:\n{thinking}", style="dim")
