"""Model text made harmless for a terminal: control characters become visible symbols.

Escape sequences in an answer (``ESC[2J``, OSC 52 clipboard writes, OSC 8 links, title
changes) and bare ``\\r`` or backspace must never act on the user's terminal. Each C0
control except newline and tab becomes its Unicode "control picture" (``␛``, ``␍``, ``␈``),
DEL becomes ``␡``, and C1 controls (which some terminals obey as 8-bit CSI/OSC) become
``\\x9b``-style text.
"""

from __future__ import annotations

__all__ = ["visible_controls"]

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
del _TABLE[ord("\n")], _TABLE[ord("\t")]
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})


def visible_controls(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a visible symbol."""
    if text.isprintable():
        return text
    return text.translate(_TABLE)
