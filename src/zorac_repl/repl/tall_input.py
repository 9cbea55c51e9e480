"""An input taller than the screen, which prompt_toolkit draws as its visible rows only.

Accepted, those rows alone would reach scrollback (the message's start never would, and
a toolbar row would); dropped with Ctrl+C, they would stay behind. Such an input is
erased when the prompt ends, and an accepted one is written whole.
"""

from __future__ import annotations

import sys

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application
from prompt_toolkit.buffer import Buffer

__all__ = ["keep_tall_inputs_whole", "taller_than_screen", "write_input"]


def taller_than_screen(app: Application[str], text: str) -> bool:
    """Whether ``text``, after a two-column prompt, needs more rows than ``app`` has."""
    from rich.cells import cell_len

    size = app.output.get_size()
    columns = max(1, size.columns)
    rows = sum(max(1, -(-(cell_len(line) + 2) // columns)) for line in text.split("\n"))
    return rows >= size.rows - 1


def keep_tall_inputs_whole(prompt: PromptSession[str]) -> None:
    """Have the prompt erased when a tall input is accepted (``write_input`` then writes
    it whole)."""
    buffer = prompt.default_buffer
    accept = buffer.accept_handler

    def accept_whole(accepted: Buffer) -> bool:
        prompt.app.erase_when_done = taller_than_screen(prompt.app, accepted.text)
        return accept(accepted) if accept is not None else False

    buffer.accept_handler = accept_whole


def write_input(text: str) -> None:
    """The accepted input as the prompt showed it, every line of it, into scrollback."""
    from zorac_repl.render.safe_text import visible_controls

    lines = visible_controls(text).split("\n")
    sys.stdout.write("> " + "\n… ".join(lines) + "\n")
    sys.stdout.flush()
