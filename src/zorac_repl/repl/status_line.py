"""A status line written without Rich, so the first prompt never waits for Rich to load."""

from __future__ import annotations

import os
import sys

from zorac_repl.terminal.screen import wrapped_for

__all__ = ["print_styled"]


_SGR = {"dim": "2", "red": "31", "yellow": "33", "green": "32"}


def print_styled(text: str, style: str = "dim") -> None:
    """A status line, written without Rich so the first prompt need not wait for it."""
    from zorac_repl.render.safe_text import visible_controls

    text = wrapped_for(sys.stdout, visible_controls(text))  # as Rich wraps the others
    # NO_COLOR forbids colour, not dimness.
    if sys.stdout.isatty() and (style == "dim" or "NO_COLOR" not in os.environ):
        text = f"\x1b[{_SGR.get(style, '0')}m{text}\x1b[0m"
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()
