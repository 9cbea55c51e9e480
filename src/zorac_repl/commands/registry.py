"""The slash-command registry: each command declared once, as data, and dispatch.

``/help``, tab completion and the system prompt's list of commands are generated from
``COMMANDS``; dispatch is a dict lookup.
"""

from __future__ import annotations

import difflib

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands import (
    attachments,
    copy_code,
    export,
    for_conversation,
    for_log,
    for_repl,
    for_server,
    for_settings,
    tools,
)
from zorac_repl.commands.base import Command, CommandResult, UsageError, on

__all__ = ["COMMANDS", "command_list", "dispatch", "find_command", "help_text", "is_command"]

COMMANDS: tuple[Command, ...] = (
    Command("/help", "show the commands and keys", on(lambda _: COMMANDS, for_repl.show_help)),
    Command(
        "/clear",
        "start a new conversation (the old one stays in the log)",
        for_conversation.clear,
    ),
    Command(
        "/save",
        "save now (also done after every answer), or save a copy as NAME",
        on(lambda s: s.saved, for_conversation.save),
        usage="[NAME[!]]",
        completes="session",
    ),
    Command(
        "/load",
        "reload this session, or switch to the saved session NAME",
        on(lambda s: s.saved, for_conversation.load),
        usage="[NAME]",
        completes="session",
    ),
    Command(
        "/attach",
        "stage files, globs, directories or images for the next message; bare: list them",
        attachments.attach,
        usage="[PATH...]",
        completes="path",
    ),
    Command(
        "/detach",
        "unstage the Nth staged attachment, or all of them",
        attachments.detach,
        usage="N|all",
        subcommands=("all",),
    ),
    Command(
        "/search",
        "search the log of every conversation; each hit shows its conversation's id",
        for_log.search,
        usage="TERMS",
    ),
    Command(
        "/resume",
        "continue a conversation from the log: it becomes the current one",
        for_log.resume,
        usage="ID",
    ),
    Command(
        "/forget",
        "delete this conversation for real, from the log, after asking",
        for_log.forget,
    ),
    Command(
        "/tools",
        "the MCP servers and their tools; on or off for this run, all or one",
        tools.tools,
        usage="[on|off [SERVER|TOOL]]",
        subcommands=("on", "off"),
    ),
    Command(
        "/tool",
        "show the Nth tool result of the conversation whole (the last without N)",
        tools.show_result,
        usage="[N]",
    ),
    Command(
        "/sessions",
        "list the saved sessions: size, last use, first message",
        on(lambda s: s.saved, for_conversation.sessions),
    ),
    Command(
        "/tokens",
        "show how much of the token budget the conversation uses",
        on(lambda s: s.budget, for_conversation.tokens),
    ),
    Command(
        "/summarize",
        "summarize older messages now to free up the budget",
        for_conversation.summarize,
    ),
    Command(
        "/summary",
        "show the summary of older messages, if there is one",
        on(lambda s: s.saved, for_conversation.show_summary),
    ),
    Command(
        "/system",
        "show this conversation's system prompt, or set it (reset: default)",
        for_conversation.system,
        usage="[TEXT or reset]",
        subcommands=("reset",),
        takes_text=True,
    ),
    Command(
        "/think",
        "show the thinking of the last answer (or of the Nth answer back)",
        on(lambda s: s.saved, for_conversation.think),
        usage="[N]",
    ),
    Command(
        "/edit",
        "put your last message back in the input; sending it replaces that exchange",
        on(lambda s: s.chat, for_conversation.edit),
    ),
    Command(
        "/undo",
        "remove the last exchange, or the last N (asks first when N > 1)",
        on(lambda s: s.saved, for_conversation.undo),
        usage="[N]",
    ),
    Command(
        "/copy",
        "copy the last answer's last code block, block N, or all of it; or write it to PATH",
        copy_code.copy,
        usage="[N or all] [PATH[!]]",
        subcommands=("all",),
        completes="block",
    ),
    Command(
        "/export",
        "write the conversation as Markdown (default: zorac-DATE-TIME.md here)",
        export.export,
        usage="[PATH[!]]",
    ),
    Command(
        "/retry",
        "send the last message again (after a failure, or for a new answer)",
        on(lambda s: s.chat, for_conversation.retry),
    ),
    Command(
        "/model",
        "list the server's models, or switch to another one",
        for_server.model,
        usage="[ID]",
        completes="model",
    ),
    Command(
        "/profile",
        "list the server profiles, or switch to one (the conversation stays)",
        for_server.profile,
        usage="[NAME]",
        completes="profile",
    ),
    Command(
        "/reconnect",
        "check the server again and re-detect the model",
        on(lambda s: s.link, for_server.reconnect),
    ),
    Command(
        "/config",
        "show or change settings (changes apply at once and are saved)",
        for_settings.config,
        usage="list | get KEY | set KEY VALUE",
        subcommands=("list", "get", "set"),
    ),
    Command(
        "/editor",
        "write the next message in $VISUAL or $EDITOR (so does Ctrl-X Ctrl-E)",
        on(lambda _: None, for_repl.open_editor),
    ),
    Command(
        "/quit",
        "leave zorac-repl; Ctrl+D does too",
        on(lambda _: None, for_repl.quit_repl),
        aliases=("/exit",),
    ),
)

_BY_NAME: dict[str, Command] = {
    name: command for command in COMMANDS for name in (command.name, *command.aliases)
}


def is_command(text: str) -> bool:
    """Whether ``text`` is a command line, for ``dispatch``, rather than a message.

    A line starting with ``/`` is one (known or not: an unknown one is refused, not sent).
    Several lines are one only for a command that takes text (``/system``); otherwise
    they are a message that happens to start with ``/``.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or stripped.startswith("//"):
        return False  # "//etc/hosts ..." is a message that starts with "/"
    if "\n" not in stripped:
        return True
    command = find_command(stripped.split(None, 1)[0])
    return command is not None and command.takes_text


def message_text(text: str) -> str:
    """The message a non-command line sends: a leading ``//`` escapes one ``/``."""
    start = len(text) - len(text.lstrip())
    if text.startswith("//", start):
        return text[:start] + text[start + 1 :]
    return text


def find_command(name: str) -> Command | None:
    return _BY_NAME.get(name.lower())


def help_text() -> str:
    """The ``/help`` text, built from the registry."""
    return for_repl.format_help(COMMANDS)


def command_list() -> list[tuple[str, str]]:
    """Each command's usage and help line, for the built-in system prompt."""
    return [(f"{c.name}{' ' + c.usage if c.usage else ''}", c.help) for c in COMMANDS]


async def dispatch(session: ChatParts, line: str) -> CommandResult:
    """Run the command ``line`` names (it starts with ``/``)."""
    name, *rest = line.strip().split(None, 1)
    args = rest[0] if rest else ""
    command = find_command(name)
    if command is None:
        close = difflib.get_close_matches(name.lower(), list(_BY_NAME), n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]}?" if close else ""
        return CommandResult(
            f"Unknown command: {name}.{hint} Type /help for the list; to send a message "
            "that starts with /, begin it with //.",
            style="red",
            draft=line,  # kept: it may be a message after all
        )
    try:
        return await command.handler(session, args.strip())
    except UsageError:
        return CommandResult(command.usage_line, style="red")
