"""Commands about the REPL itself: ``/help``, ``/editor``, ``/quit``."""

from __future__ import annotations

from collections.abc import Sequence

from zorac_repl.commands.base import Command, CommandResult, Table, no_arguments

__all__ = ["format_help", "open_editor", "quit_repl", "show_help"]

_KEYS = (
    ("Enter", "send the message"),
    ("Alt+Enter", "new line (Esc then Enter works too)"),
    ("Tab", "complete commands, settings and values"),
    ("Ctrl+C", "stop the answer; at the prompt, clear the line"),
    ("Ctrl+D", "leave, on an empty line"),
    ("Ctrl+Z", "suspend, at the prompt or while an answer streams; fg resumes"),
    ("Ctrl-X Ctrl-E", "edit the input in $VISUAL or $EDITOR"),
)


def help_tables(commands: Sequence[Command]) -> tuple[Table, Table]:
    """``/help``: a row per command form, then the keys."""
    # A command with alternative forms ("list | get KEY") gets a row per form.
    rows: list[tuple[str, str]] = []
    for command in commands:
        aliases = f" (also {', '.join(command.aliases)})" if command.aliases else ""
        forms = command.usage.split(" | ") if command.usage else [""]
        for number, form in enumerate(forms):
            label = f"{command.name} {form}".rstrip()
            rows.append((label, f"{command.help}{aliases}" if number == 0 else ""))
    return Table("Commands:", tuple(rows)), Table("Keys:", tuple(_KEYS))


def format_help(commands: Sequence[Command], width: int = 10_000) -> str:
    """The ``/help`` text, as plain lines ``width`` columns wide."""
    from zorac_repl.render.printer import table_lines

    lines = []
    for table in help_tables(commands):
        lines += [table.heading, *table_lines(table.rows, width, cut=False)]
    return "\n".join(lines)


async def show_help(commands: Sequence[Command], args: str) -> CommandResult:
    no_arguments(args)
    return CommandResult(tables=help_tables(commands))


async def quit_repl(_: object, args: str) -> CommandResult:
    no_arguments(args)
    return CommandResult(should_exit=True)


async def open_editor(_: object, args: str) -> CommandResult:
    no_arguments(args)
    return CommandResult(open_editor=True)
