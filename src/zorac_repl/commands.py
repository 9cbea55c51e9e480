"""The slash-command registry: each command declared once, as data.

``/help``, tab completion and the system prompt's list of commands are generated from
``COMMANDS``; dispatch is a dict lookup. A handler gets the running session and the text
after the command name, does its work through the session, and returns what to print.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zorac_repl.session import ReplSession

__all__ = ["COMMANDS", "Command", "CommandResult", "UsageError", "dispatch", "find_command",
           "help_text", "is_secret_line", "secret_value_start"]


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What the REPL should do after a command.

    Attributes:
        message: printed as is (never as Rich markup).
        style: a Rich style for the message.
        should_exit: leave the REPL.
        draft: text to put back in the input (a message that could not be sent).
    """

    message: str = ""
    style: str | None = None
    should_exit: bool = False
    draft: str = ""


class UsageError(Exception):
    """The arguments do not fit the command; its usage line is shown."""


Handler = Callable[["ReplSession", str], Awaitable[CommandResult]]


@dataclass(frozen=True, slots=True)
class Command:
    """One slash command.

    Attributes:
        name: with its slash, e.g. ``/tokens``.
        help: one line for ``/help`` and the system prompt.
        handler: does the work; raises ``UsageError`` on bad arguments.
        aliases: other names that run it.
        usage: the arguments, e.g. ``set KEY VALUE``.
        subcommands: words that may follow the name (for completion).
    """

    name: str
    help: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    usage: str = ""
    subcommands: tuple[str, ...] = ()

    @property
    def usage_line(self) -> str:
        return f"Usage: {self.name}{' ' + self.usage if self.usage else ''}"


def _no_arguments(args: str) -> None:
    if args:
        raise UsageError


async def _help(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return CommandResult(help_text())


async def _quit(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return CommandResult(should_exit=True)


async def _clear(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return session.clear_conversation()


async def _save(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return session.save_now()


async def _load(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return session.load_saved()


async def _tokens(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return await session.tokens_report()


async def _summarize(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return await session.summarize_now()


async def _summary(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    summary = session.conversation.summary
    if not summary:
        return CommandResult("There is no summary yet: the conversation has not been "
                             "summarized. /summarize makes one.")
    return CommandResult(f"Summary of the earlier conversation:\n{summary}")


async def _reconnect(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return await session.reconnect()


async def _retry(session: ReplSession, args: str) -> CommandResult:
    _no_arguments(args)
    return await session.retry()


async def _config(session: ReplSession, args: str) -> CommandResult:
    action, _, rest = args.partition(" ")
    action = action.lower()
    if action == "list" and not rest.strip():
        return session.config_list()
    if action == "get" and rest.strip() and " " not in rest.strip():
        return session.config_get(rest.strip())
    if action == "set":
        key, _, value = rest.strip().partition(" ")
        if key:
            return await session.config_set(key, value)
    raise UsageError


COMMANDS: tuple[Command, ...] = (
    Command("/help", "show the commands and keys", _help),
    Command("/clear", "start a new conversation (the old one is kept as a backup file)", _clear),
    Command("/save", "save the conversation now (it is also saved after every answer)", _save),
    Command("/load", "reload the saved conversation, dropping unsaved changes", _load),
    Command("/tokens", "show how much of the token budget the conversation uses", _tokens),
    Command("/summarize", "summarize older messages now to free up the budget", _summarize),
    Command("/summary", "show the summary of older messages, if there is one", _summary),
    Command("/retry", "send the last message again (after a failure, or for a new answer)",
            _retry),
    Command("/reconnect", "check the server again and re-detect the model", _reconnect),
    Command("/config", "show or change settings (changes apply at once and are saved)",
            _config, usage="list | get KEY | set KEY VALUE", subcommands=("list", "get", "set")),
    Command("/quit", "leave zorac-repl; Ctrl+D does too", _quit, aliases=("/exit",)),
)

_BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def find_command(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def help_text() -> str:
    """The ``/help`` text, built from the registry."""
    # A command with alternative forms ("list | get KEY") gets a line per form.
    rows: list[tuple[str, str]] = []
    for command in COMMANDS:
        aliases = f" (also {', '.join(command.aliases)})" if command.aliases else ""
        forms = command.usage.split(" | ") if command.usage else [""]
        for number, form in enumerate(forms):
            label = f"{command.name} {form}".rstrip()
            rows.append((label, f"{command.help}{aliases}" if number == 0 else ""))
    width = max(len(label) for label, _ in rows)
    lines = ["Commands:"]
    lines += [f"  {label.ljust(width)}  {text}".rstrip() for label, text in rows]
    lines += [
        "Keys:",
        "  Enter         send the message",
        "  Alt+Enter     new line (Esc then Enter works too)",
        "  Tab           complete commands, settings and values",
        "  Ctrl+C        stop the answer; at the prompt, clear the line",
        "  Ctrl+D        leave, on an empty line",
    ]
    return "\n".join(lines)


_SECRET_SET = re.compile(r"\s*/config\s+set\s+(\S+)\s?", re.IGNORECASE)


def secret_value_start(line: str) -> int | None:
    """Where the value starts in a ``/config set`` of a secret setting, else ``None``."""
    from zorac_repl.config import SETTINGS

    found = _SECRET_SET.match(line)
    if found is None:
        return None
    key = found.group(1).upper()
    if not any(spec.is_secret and spec.key == key for spec in SETTINGS):
        return None
    return found.end()


def is_secret_line(line: str) -> bool:
    """True for a ``/config set`` of a secret setting: it must stay out of input history."""
    return secret_value_start(line) is not None


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
