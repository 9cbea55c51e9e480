"""Slash commands: the registry (data), dispatch, and handlers grouped by what they act on.

- ``registry``: ``COMMANDS``, ``is_command``, lookup, dispatch, the ``/help`` text.
- ``for_conversation``, ``for_settings``, ``for_server``, ``for_repl``, ``copy_code``,
  ``export``: the handlers, each taking the one part it acts on.
- ``secret_lines``: lines that must be masked and kept out of input history.

Empty on purpose: the prompt needs ``secret_lines`` before its first draw, and importing
the registry loads every handler and the chat core behind them.
"""
