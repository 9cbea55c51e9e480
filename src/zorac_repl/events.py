"""The typed events a chat answer is made of, as the client yields them.

Consumers ``match`` on the class and end with ``assert_never`` so that mypy flags a kind
that is not handled.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChatEvent", "Finished", "ReasoningDelta", "ServerTimings", "TextDelta", "Usage"]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of a reasoning model's thinking (``reasoning`` / ``reasoning_content``)."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """The server's exact token counts for this request."""

    prompt_tokens: int
    completion_tokens: int
    reasoning_tokens: int | None = None  # of the completion tokens, when the server says


@dataclass(frozen=True, slots=True)
class Finished:
    """The server said why the answer ended (``stop``, ``length``, ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class ServerTimings:
    """The speeds the server measured itself (llama.cpp's ``timings``, wire-protocol §13)."""

    decode_per_second: float
    prompt_per_second: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None


ChatEvent = TextDelta | ReasoningDelta | Usage | ServerTimings | Finished
