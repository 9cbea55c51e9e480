"""The slash-command registry: each command declared once, as data, and dispatch.

``/help``, tab completion and the system prompt's list of commands are generated from
``COMMANDS``; dispatch is a dict lookup.
"""

from __future__ import annotations

import difflib

from zorac_repl.commands import conversation, output, server, settings
from zorac_repl.commands.base import Command, CommandResult, UsageError, on
from zorac_repl.session import ReplSession

__all__ = ["COMMANDS", "command_list", "dispatch", "find_command", "help_text"]

COMMANDS: tuple[Command, ...] = (
    Command("/help", "show the commands and keys", on(lambda _: COMMANDS, output.show_help)),
    Command("/clear", "start a new conversation (the old one is kept as a backup file)",
            on(lambda s: s.saved, conversation.clear)),
    Command("/save", "save the conversation now (it is also saved after every answer)",
            on(lambda s: s.saved, conversation.save)),
    Command("/load", "reload the saved conversation, dropping unsaved changes",
            on(lambda s: s.saved, conversation.load)),
    Command("/tokens", "show how much of the token budget the conversation uses",
            on(lambda s: s.budget, conversation.tokens)),
    Command("/summarize", "summarize older messages now to free up the budget",
            on(lambda s: s.chat, conversation.summarize)),
    Command("/summary", "show the summary of older messages, if there is one",
            on(lambda s: s.saved, conversation.show_summary)),
    Command("/think", "show the thinking of the last answer (or of the Nth answer back)",
            on(lambda s: s.saved, conversation.think), usage="[N]"),
    Command("/retry", "send the last message again (after a failure, or for a new answer)",
            on(lambda s: s.chat, conversation.retry)),
    Command("/reconnect", "check the server again and re-detect the model",
            on(lambda s: s.link, server.reconnect)),
    Command("/config", "show or change settings (changes apply at once and are saved)",
            on(lambda s: s.settings, settings.config),
            usage="list | get KEY | set KEY VALUE", subcommands=("list", "get", "set")),
    Command("/quit", "leave zorac-repl; Ctrl+D does too", on(lambda _: None, output.quit_repl),
            aliases=("/exit",)),
)

_BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def find_command(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def help_text() -> str:
    """The ``/help`` text, built from the registry."""
    return output.format_help(COMMANDS)


def command_list() -> list[tuple[str, str]]:
    """Each command's usage and help line, for the built-in system prompt."""
    return [(f"{c.name}{' ' + c.usage if c.usage else ''}", c.help) for c in COMMANDS]


async def dispatch(session: ReplSession, line: str) -> CommandResult:
    """Run the command ``line`` names (it starts with ``/``)."""
    name, _, args = line.strip().partition(" ")
    command = find_command(name)
    if command is None:
        close = difflib.get_close_matches(name.lower(), list(_BY_NAME), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]}?" if close else ""
        return CommandResult(f"Unknown command: {name}.{hint} Type /help for the list.",
                             style="red")
    try:
        return await command.handler(session, args.strip())
    except UsageError:
        return CommandResult(command.usage_line, style="red")
