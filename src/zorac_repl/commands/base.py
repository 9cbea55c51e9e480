"""What every command is made of: its record, its result, and how it reaches its part.

A handler takes the one part of the session it acts on (the chat, the settings, the
server link…), never the whole session; ``on`` makes it fit the registry's calling form.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

if TYPE_CHECKING:
    from zorac_repl.chat.parts import ChatParts

__all__ = [
    "Command",
    "CommandResult",
    "CompletionKind",
    "Handler",
    "Table",
    "UsageError",
    "count_argument",
    "no_arguments",
    "on",
    "write_new_file",
]

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of columns for the terminal: every column as wide as its widest cell, the last
    one wrapped at word boundaries under itself (a hanging indent), or cut with "…" when
    ``cut`` (a row that should stay one line, such as ``/sessions``).

    Attributes:
        heading: a line before the rows, if any.
        rows: the cells of each row.
        footer: a line after them, if any.
    """

    heading: str = ""
    rows: tuple[tuple[str, ...], ...] = ()
    footer: str = ""
    cut: bool = False


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What the REPL should do after a command.

    Attributes:
        message: printed as is (never as Rich markup).
        style: a Rich style for the message.
        should_exit: leave the REPL.
        draft: text to put back in the input (a message that could not be sent).
        confirm: a yes/no question to ask first; ``confirmed`` runs on yes.
        terminal: bytes for the terminal itself (an OSC 52 clipboard write).
        open_editor: open the input in $VISUAL/$EDITOR at the next prompt.
        markdown: text rendered as Markdown after the message (a summary).
        tables: rows shown as columns after the message, fitted to the terminal's width.
    """

    message: str = ""
    style: str | None = None
    should_exit: bool = False
    draft: str = ""
    confirm: str = ""
    confirmed: Callable[[], Awaitable[CommandResult]] | None = None
    terminal: str = ""
    open_editor: bool = False
    markdown: str = ""  # rendered as Markdown after ``message``
    tables: tuple[Table, ...] = ()


class UsageError(Exception):
    """The arguments do not fit the command; its usage line is shown."""


# A string for ChatParts: the prompt imports this module before the chat parts exist.
Handler = Callable[["ChatParts", str], Awaitable[CommandResult]]


def on(
    part: Callable[[ChatParts], P], handler: Callable[[P, str], Awaitable[CommandResult]]
) -> Handler:
    """A registry handler that gives ``handler`` only ``part(session)``."""

    async def handle(session: ChatParts, args: str) -> CommandResult:
        return await handler(part(session), args)

    return handle


def no_arguments(args: str) -> None:
    if args:
        raise UsageError


def count_argument(args: str) -> int:
    """An optional count of 1 or more (``/undo 3``, ``/think 2``); 1 when absent."""
    try:
        count = int(args) if args else 1
    except ValueError:
        raise UsageError from None
    if count < 1:
        raise UsageError
    return count


def write_new_file(
    target: Path, content: str, overwrite: bool, command: str
) -> CommandResult | None:
    """Write ``content`` to ``target``, never over an existing file unless ``overwrite``.

    Returns the line to show when it could not (``command`` is what to type with ``!``),
    ``None`` when it was written.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        # 0600 like the session: an answer or a conversation may hold anything.
        with os.fdopen(os.open(target, flags, 0o600), "w", encoding="utf-8") as file:
            file.write(content)
    except ValueError:
        return CommandResult(f"Cannot write {target}: a path cannot hold a NUL.", style="red")
    except FileExistsError:
        return CommandResult(
            f"{target} exists; nothing was written. End the path with ! to "
            f"overwrite it: {command}!",
            style="red",
        )
    except OSError as exc:
        return CommandResult(f"Cannot write {target}: {exc.strerror}.", style="red")
    return None


# What a command's first argument is, for completion: a model id, a saved session's name,
# a code block's number, a server profile's name, a file's path (every argument).
CompletionKind = Literal["model", "session", "block", "profile", "path"]


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
        completes: what its first argument is, for completion: ``model``, ``session``
            or ``block`` (a code block's number).
        takes_text: its argument may span lines (``/system``), so a multi-line input
            that starts with it is the command, not a message.
    """

    name: str
    help: str
    handler: Handler
    aliases: tuple[str, ...] = ()
    usage: str = ""
    subcommands: tuple[str, ...] = ()
    completes: CompletionKind | None = None
    takes_text: bool = False

    @property
    def usage_line(self) -> str:
        return f"Usage: {self.name}{' ' + self.usage if self.usage else ''}"
