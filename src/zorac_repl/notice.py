"""A line for the user: what a part of the session has to say, and in which style."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Notice"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for the user, shown literally (never as Rich markup).

    Attributes:
        text: what to say; may hold several lines.
        style: a Rich style, or ``None`` for the terminal's own colour.
    """

    text: str
    style: str | None = None
