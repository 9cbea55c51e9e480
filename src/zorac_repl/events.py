"""The typed events a chat answer is made of, as the client yields them.

Consumers ``match`` on the class and end with ``assert_never`` so that mypy flags a kind
that is not handled.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ChatEvent",
    "Finished",
    "ReasoningDelta",
    "ServerTimings",
    "TextDelta",
    "ToolCallDelta",
    "Usage",
]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """A piece of a reasoning model's thinking (``reasoning`` / ``reasoning_content``)."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call the model asks for (wire-protocol §15.2): gathered by ``index``.

    vLLM and llama.cpp send ``id`` and ``name`` once, then ``arguments`` in fragments
    (llama.cpp may interleave calls); Ollama sends each call whole.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


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


ChatEvent = TextDelta | ReasoningDelta | ToolCallDelta | Usage | ServerTimings | Finished
