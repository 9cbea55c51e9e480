"""A huge paste held aside: one short placeholder in the input, the text itself when sent.

prompt_toolkit lays a line out whole on every redraw, so 1 MB on one line (minified
JSON, a log without newlines) took seconds before the request went out. A paste of
``PLACEHOLDER_MIN`` characters or more is shown as ``[pasted 1.0 MB, 1 line]``; sending,
the input history and the external editor all get the paste byte for byte.
"""

from __future__ import annotations

__all__ = ["PLACEHOLDER_MIN", "PasteStore", "normalize_paste"]

PLACEHOLDER_MIN = 20_000
# Pastes kept for drafts that come back (a failed send): the most recent ones.
_KEPT = 16


def normalize_paste(data: str) -> str:
    """Newlines as the editor keeps them: terminals paste ``\\r`` or ``\\r\\n``."""
    return data.replace("\r\n", "\n").replace("\r", "\n")


def _size(text: str) -> str:
    size = len(text.encode("utf-8"))
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} kB"


class PasteStore:
    """The large pastes of this session, by their placeholders."""

    def __init__(self) -> None:
        self._pastes: dict[str, str] = {}

    def hold(self, text: str) -> str:
        """Keep ``text`` and return the placeholder that stands for it in the input."""
        for placeholder, held in self._pastes.items():
            if held == text:
                return placeholder
        lines = text.count("\n") + 1
        label = f"pasted {_size(text)}, {lines} line{'s' if lines != 1 else ''}"
        placeholder, number = f"[{label}]", 2
        while placeholder in self._pastes:
            placeholder, number = f"[{label} #{number}]", number + 1
        self._pastes[placeholder] = text
        while len(self._pastes) > _KEPT:
            del self._pastes[next(iter(self._pastes))]
        return placeholder

    def expand(self, text: str) -> str:
        """``text`` with every placeholder replaced by the paste it stands for."""
        if "[pasted " not in text:
            return text
        for placeholder, held in self._pastes.items():
            text = text.replace(placeholder, held)
        return text

    def collapse(self, text: str) -> str:
        """``text`` with every held paste shown as its placeholder again (a draft that
        comes back)."""
        if len(text) < PLACEHOLDER_MIN:
            return text
        for placeholder, held in self._pastes.items():
            text = text.replace(held, placeholder)
        return text
