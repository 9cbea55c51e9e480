"""The built-in system prompt, made fresh for every run so it never goes stale.

It is not saved with the conversation: an old session picks up today's date and the
current command list the next time it is loaded. The command list is given to it, so
this module knows nothing of the command registry.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

__all__ = ["default_system_prompt", "system_prompt_for"]


def default_system_prompt(
    commands: Sequence[tuple[str, str]], today: datetime.date | None = None
) -> str:
    """What the model is told when ``SYSTEM_PROMPT`` is empty.

    Args:
        commands: each command's usage (``/config list | get KEY``) and one-line help.
        today: the date to state (default: today).
    """
    day = (today or datetime.date.today()).strftime("%A, %B %-d, %Y")
    listed = "; ".join(f"{usage}: {help_line}" for usage, help_line in commands)
    about = (
        f"If the user asks how to use the client, its commands are: {listed}. " if listed else ""
    )
    return (
        f"You are a helpful assistant. Today is {day}. The user talks to you through "
        "zorac-repl, a terminal chat client; your answers are rendered as Markdown in "
        "their terminal, so use Markdown, and fenced code blocks with a language for code. "
        f"{about}Alt+Enter inserts a new line; Ctrl+C stops an answer."
    )


def system_prompt_for(system_prompt: str, commands: Sequence[tuple[str, str]] | None) -> str:
    """The system prompt a conversation starts from: the user's (``SYSTEM_PROMPT``,
    ``-s``) if set, else the built-in one, or none when ``commands`` is ``None`` (a
    one-shot question that continues no session)."""
    if system_prompt or commands is None:
        return system_prompt
    return default_system_prompt(commands)
