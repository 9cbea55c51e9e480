"""Slash commands: the registry (data), dispatch, and handlers grouped by what they act on.

- ``registry``: ``COMMANDS``, lookup, dispatch, the ``/help`` text.
- ``for_conversation``, ``for_settings``, ``for_server``, ``for_repl``, ``copy_code``,
  ``export``: the handlers, each taking the one part it acts on.
- ``secret_lines``: lines that must be masked and kept out of input history.
"""

from __future__ import annotations

from zorac_repl.commands.base import Command, CommandResult, UsageError
from zorac_repl.commands.registry import (
    COMMANDS,
    command_list,
    dispatch,
    find_command,
    help_text,
    is_command,
)
from zorac_repl.commands.secret_lines import is_secret_line, secret_value_start

__all__ = [
    "COMMANDS",
    "Command",
    "CommandResult",
    "UsageError",
    "command_list",
    "dispatch",
    "find_command",
    "help_text",
    "is_command",
    "is_secret_line",
    "secret_value_start",
]
