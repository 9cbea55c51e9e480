"""Tool calls the model asks for: gathered from the stream, whatever shape the server sends.

vLLM and llama.cpp send a call's ``id`` and ``name`` once, then its arguments in
fragments, and llama.cpp may interleave two calls; Ollama sends each call whole, then a
separate finish chunk (wire-protocol §15.2). All of them are gathered by ``index`` until
the stream ends, and acted on whatever ``finish_reason`` says: some servers end with
``stop``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zorac_repl.events import ToolCallDelta

__all__ = ["ToolCall", "ToolCallGatherer"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call: its id (which its result answers), the tool, its arguments as sent (JSON
    text, not parsed: the model may send text that is not JSON, and that is refused
    before anything runs)."""

    id: str
    name: str
    arguments: str


@dataclass
class _Pending:
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)


class ToolCallGatherer:
    """Gathers ``ToolCallDelta`` pieces into whole calls, by index."""

    def __init__(self) -> None:
        self._calls: dict[int, _Pending] = {}

    def add(self, delta: ToolCallDelta) -> None:
        pending = self._calls.setdefault(delta.index, _Pending())
        if delta.id and pending.id is None:
            pending.id = delta.id
        if delta.name and pending.name is None:
            pending.name = delta.name
        if delta.arguments:
            pending.arguments.append(delta.arguments)

    def calls(self) -> tuple[ToolCall, ...]:
        """The whole calls, by index; one that never got a name is no call. A call
        without an id gets one (``call_0``): its result must name it."""
        return tuple(
            ToolCall(pending.id or f"call_{index}", pending.name, "".join(pending.arguments))
            for index, pending in sorted(self._calls.items())
            if pending.name
        )
