"""What taking up, saving and clearing a session come to, and the errors they raise.

Values the commands word (``commands/for_conversation.py``); ``log/saved.py`` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import UserMessage, headline
from zorac_repl.errors import StoreError

__all__ = [
    "Cleared",
    "Loaded",
    "NoSuchSession",
    "Restored",
    "SessionExists",
    "SessionInUse",
    "SessionNameRefused",
    "SessionSummary",
    "figures_of",
]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session as ``/sessions`` lists it.

    Attributes:
        name: its name (``#ID`` for the conversation in use when it has none).
        messages: how many messages it holds.
        tokens: its token count when saved.
        last_used: when a REPL last took it up (local time), ``None`` if never.
        first_message: the text of its first user message.
        id: its conversation's id in the log.
    """

    name: str
    messages: int
    tokens: int
    last_used: str | None
    first_message: str
    id: int = 0


@dataclass(frozen=True, slots=True)
class Loaded:
    """A saved conversation now in use.

    Attributes:
        messages: how many messages it holds.
        tokens: its tokens.
        made_with: the server profile it was made with, when not the one in use.
        in_use: the profile in use then (``None``: none), when ``made_with`` is given.
    """

    messages: int
    tokens: int
    made_with: str | None = None
    in_use: str | None = None


@dataclass(frozen=True, slots=True)
class Restored:
    """What reading a saved conversation came to: the conversation, if any, and what the
    store did (a state it could not read left aside, a second instance given a session of
    its own, the old session files imported)."""

    loaded: Loaded | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cleared:
    """``/clear`` done: how many messages went, and the id that keeps them in the log
    (``None`` with ``LOG=off``: not kept)."""

    messages: int
    kept_as: int | None


class SessionNameRefused(StoreError):
    """Not a name a session can have; the text says why."""


class SessionInUse(StoreError):
    """Another running zorac-repl has the conversation open."""


class SessionExists(StoreError):
    """``/save NAME`` without ``!`` where a session has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A session named {name!r} exists.")
        self.name = name


class NoSuchSession(StoreError):
    """``/load NAME`` of a session that was never saved, or ``/resume`` of an unknown id."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"There is no saved session {name!r}.")
        self.name = name
        self.known = known


def figures_of(conversation: Conversation) -> tuple[int, int, str]:
    """What ``/sessions`` shows of a conversation: messages, tokens, its opening line."""
    opening = next((m.text for m in conversation.messages if isinstance(m, UserMessage)), "")
    return len(conversation.messages), conversation.token_count(), headline(opening, 200)
