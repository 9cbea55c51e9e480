"""Local token estimates, used when the server has not given exact counts.

The estimate is about four characters per token, the usual figure for English with
cl100k-style vocabularies; figures built on it are shown with a ``~``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["estimate_message_tokens", "estimate_tokens"]

# Role markers and separators a chat template adds around each message.
_PER_MESSAGE = 4


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is."""
    return (len(text) + 3) // 4


def estimate_message_tokens(messages: Iterable[Mapping[str, str]]) -> int:
    """About how many prompt tokens ``messages`` make, template overhead included."""
    return sum(estimate_tokens(m.get("content", "")) + _PER_MESSAGE for m in messages)
