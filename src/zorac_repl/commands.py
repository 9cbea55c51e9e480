"""The slash-command registry: each command declared once, as data.

``/help`` and tab completion are generated from ``COMMANDS``; dispatch is a dict lookup.
Handlers receive a ``CommandContext`` and return a ``CommandResult``; they never print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["COMMANDS", "Command", "CommandContext", "CommandResult", "dispatch", "help_text"]


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a handler may look at (grows as commands need more)."""

    args: str


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What the REPL should do after a command."""

    message: str = ""
    should_exit: bool = False
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    handler: Callable[[CommandContext], CommandResult]
    aliases: tuple[str, ...] = ()
    usage: str = ""


def _help(context: CommandContext) -> CommandResult:
    return CommandResult(help_text())


def _quit(context: CommandContext) -> CommandResult:
    return CommandResult(should_exit=True)


COMMANDS: tuple[Command, ...] = (
    Command("/help", "show the commands and keys", _help),
    Command("/quit", "leave zorac-repl (Ctrl+D does too)", _quit, aliases=("/exit",)),
)

_BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def help_text() -> str:
    """The ``/help`` text, built from the registry."""
    width = max(len(c.name + (" " + c.usage if c.usage else "")) for c in COMMANDS)
    lines = ["Commands:"]
    for command in COMMANDS:
        label = command.name + (f" {command.usage}" if command.usage else "")
        aliases = f" (also {', '.join(command.aliases)})" if command.aliases else ""
        lines.append(f"  {label.ljust(width)}  {command.help}{aliases}")
    lines += [
        "Keys:",
        "  Enter         send the message",
        "  Alt+Enter     new line (Esc then Enter works too)",
        "  Ctrl+C        stop the answer; at the prompt, clear the line",
        "  Ctrl+D        leave, on an empty line",
    ]
    return "\n".join(lines)


def dispatch(line: str) -> CommandResult:
    """Run the command ``line`` names (it starts with ``/``)."""
    name, _, args = line.strip().partition(" ")
    command = _BY_NAME.get(name.lower())
    if command is None:
        import difflib

        close = difflib.get_close_matches(name.lower(), list(_BY_NAME), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]}?" if close else ""
        return CommandResult(f"Unknown command: {name}.{hint} Type /help for the list.",
                             is_error=True)
    return command.handler(CommandContext(args.strip()))
