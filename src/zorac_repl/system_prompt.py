"""The built-in system prompt, made fresh for every run so it never goes stale.

It is not saved with the conversation: an old session picks up today's date and the
current command list the next time it is loaded.
"""

from __future__ import annotations

import datetime

__all__ = ["default_system_prompt"]


def default_system_prompt(today: datetime.date | None = None) -> str:
    """What the model is told when ``SYSTEM_PROMPT`` is empty."""
    from zorac_repl.commands import COMMANDS

    day = (today or datetime.date.today()).strftime("%A, %B %-d, %Y")
    commands = "; ".join(f"{c.name}{' ' + c.usage if c.usage else ''}: {c.help}"
                         for c in COMMANDS)
    return (
        f"You are a helpful assistant. Today is {day}. The user talks to you through "
        "zorac-repl, a terminal chat client; your answers are rendered as Markdown in "
        "their terminal, so use Markdown, and fenced code blocks with a language for code. "
        "If the user asks how to use the client, its commands are: "
        f"{commands}. Alt+Enter inserts a new line; Ctrl+C stops an answer."
    )
