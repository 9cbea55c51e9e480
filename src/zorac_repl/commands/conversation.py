"""Commands that act on the conversation: clear, save, load, tokens, summaries, retry."""

from __future__ import annotations

from zorac_repl.budget import Budget
from zorac_repl.chat import Chat
from zorac_repl.commands.base import CommandResult, no_arguments, result_of
from zorac_repl.saved_conversation import SavedConversation

__all__ = ["clear", "load", "retry", "save", "show_summary", "summarize", "tokens"]


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
