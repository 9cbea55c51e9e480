"""The line under the prompt: the model, the last answer's figures, the conversation's size.

It is asked for on every redraw, so it only reads figures kept elsewhere. When it does
not fit, whole fields go, the least missed first; it is never cut mid-word.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prompt_toolkit.application import get_app_or_none

if TYPE_CHECKING:
    from zorac_repl.chat.parts import ChatParts
    from zorac_repl.repl.front_end import TerminalFrontEnd

__all__ = ["fit_fields", "toolbar_text"]


def toolbar_text(session: ChatParts | None, front: TerminalFrontEnd) -> str:
    if session is None:
        return " connecting… "
    conversation = session.conversation
    messages = conversation.messages
    # Fields by how much they are missed when the line is too narrow, most first.
    fields = [
        (0, session.link.status),
        (1, f"~{conversation.token_count()}/{session.budget.limit} tokens"),
        (3, f"{len(messages)} msgs"),
    ]
    if session.chat.replacing is not None:
        fields.insert(1, (0, "editing: sending replaces the last exchange"))
    staged = session.chat.staged.summary()
    if staged:
        fields.insert(1, (0, f"staged: {staged}"))
    if front.last_stats and messages and messages[-1].text == front.last_answer:
        fields.insert(-2, (2, front.last_stats))
    return fit_fields(fields, _columns() - 1)


def fit_fields(fields: list[tuple[int, str]], width: int) -> str:
    """`` a | b | c `` in ``width`` columns: whole fields are dropped, the least missed
    (highest number) first, never cut mid-word; the first is cut only when alone."""
    kept = list(fields)
    line = " " + " | ".join(text for _, text in kept) + " "
    while len(line) > width and len(kept) > 1:
        kept.remove(max(kept[1:], key=lambda field: field[0]))
        line = " " + " | ".join(text for _, text in kept) + " "
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"


def _columns() -> int:
    app = get_app_or_none()
    return app.output.get_size().columns if app is not None else 80
