"""Model text made harmless for a terminal: control characters become visible symbols.

Escape sequences in an answer (``ESC[2J``, OSC 52 clipboard writes, OSC 8 links, title
changes) and bare ``\\r`` or backspace must never act on the user's terminal. Each C0
control except newline and tab becomes its Unicode "control picture" (``␛``, ``␍``, ``␈``),
DEL becomes ``␡``, C1 controls (which some terminals obey as 8-bit CSI/OSC) become
``\\x9b``-style text, and bidirectional overrides ``\\u202e``-style text.
"""

from __future__ import annotations

__all__ = ["visible_controls", "without_controls"]

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
del _TABLE[ord("\n")], _TABLE[ord("\t")]
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
# Bidirectional overrides and isolates reorder what follows them: a line can read
# differently from what it holds (CVE-2021-42574, "Trojan Source").
_TABLE.update({code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def visible_controls(text: str) -> str:
    """``text`` with every control character but newline and tab shown as a visible symbol."""
    if text.isprintable():
        return text
    return text.translate(_TABLE)


_DROPPED = dict.fromkeys(_TABLE)


def without_controls(text: str) -> tuple[str, int]:
    """``text`` without the characters ``visible_controls`` shows as symbols, and how many
    went: for text that leaves the program (the clipboard), where a symbol would be wrong."""
    if text.isprintable():
        return text, 0
    kept = text.translate(_DROPPED)
    return kept, len(text) - len(kept)
