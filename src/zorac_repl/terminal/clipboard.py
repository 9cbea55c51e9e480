"""Copying to the user's clipboard with OSC 52, which works over SSH, and through tmux.

The terminal emulator does the copying: the text travels inside an escape sequence, so
it reaches the clipboard of the machine the user sits at, wherever zorac-repl runs.
Inside tmux the sequence must get past tmux: with ``set-clipboard on`` tmux takes it and
sets the outer terminal's clipboard itself; with ``allow-passthrough on`` a wrapped copy
passes through. With neither, tmux drops it, so the user is told the one option to set.
Terminals cap what they accept (xterm and others near 100,000 bytes of base64).
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["MAX_PAYLOAD", "Clipboard", "osc52"]

MAX_PAYLOAD = 100_000  # base64 bytes: the common terminals' limit


@dataclass(frozen=True, slots=True)
class Clipboard:
    """What to write to the terminal, and anything the user should know about it."""

    sequence: str
    note: str = ""


def _tmux_option(name: str) -> str:
    try:
        result = subprocess.run(
            ["tmux", "show-options", "-gqv", name],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip()


def osc52(text: str, environ: Mapping[str, str]) -> Clipboard | None:
    """The sequence that puts ``text`` on the clipboard; ``None`` when it is too big."""
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    if len(payload) > MAX_PAYLOAD:
        return None
    sequence = f"\x1b]52;c;{payload}\x07"
    if not environ.get("TMUX"):
        return Clipboard(sequence)
    if _tmux_option("set-clipboard") == "on":
        return Clipboard(sequence)  # tmux sets the outer clipboard itself
    if _tmux_option("allow-passthrough") in ("on", "all"):
        # tmux passes a DCS-wrapped sequence to the outer terminal, its escapes doubled.
        return Clipboard(f"\x1bPtmux;{sequence.replace(chr(27), chr(27) * 2)}\x1b\\")
    return Clipboard(
        sequence,
        "Inside tmux the copy reaches your clipboard only with "
        "tmux's set-clipboard option: run  tmux set -g "
        "set-clipboard on  (and add it to ~/.tmux.conf).",
    )
