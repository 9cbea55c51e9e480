"""Which conversation this process holds: its id, the name it is under, and its lock.

One running zorac-repl owns a conversation (``log/locks.py``); taking another one up
takes its lock before letting go of the old one, and a second process started on a
session that is held gets a session of its own (``default-2``).
"""

from __future__ import annotations

from pathlib import Path

from zorac_repl.errors import StoreError
from zorac_repl.log.locks import ConversationLock
from zorac_repl.log.names import DEFAULT_NAME
from zorac_repl.log.sessions import SessionRows

__all__ = ["HeldConversation"]


class HeldConversation:
    """The conversation held in ``directory``'s log through ``rows``, asked for as ``name``
    (``None``: one without a name)."""

    def __init__(self, directory: Path, rows: SessionRows, name: str | None) -> None:
        self._directory = directory
        self._rows = rows
        self.id: int | None = None
        self.name = name
        self._lock: ConversationLock | None = None

    @property
    def label(self) -> str:
        """The name, or ``#ID`` for a conversation without one."""
        return self.name if self.name is not None else f"#{self.id}"

    @property
    def label_or_default(self) -> str:
        return self.name if self.name is not None else DEFAULT_NAME

    def label_of(self, conversation_id: int) -> str:
        name = self._rows.name_of(conversation_id)[1]
        return name if name is not None else f"#{conversation_id}"

    def lock_of(self, conversation_id: int) -> ConversationLock:
        return ConversationLock(self._directory, conversation_id)

    def hold(self, conversation_id: int, lock: ConversationLock) -> None:
        """Hold ``conversation_id``, whose ``lock`` is taken; the old one is let go."""
        self.release()
        self.id, self._lock = conversation_id, lock

    def hold_new(self, conversation_id: int) -> None:
        """Hold a conversation just made: nobody else can hold it yet."""
        lock = self.lock_of(conversation_id)
        lock.take()
        self.hold(conversation_id, lock)

    def one_of_its_own(self, including_the_name: bool = False) -> int:
        """The session is held elsewhere: hold a new, empty one of its own, ``NAME-2``...
        (``including_the_name``: ``NAME`` itself first, if nobody has it yet).

        Raises:
            StoreError: no such name is free, or the log cannot be written.
        """
        base = self.label_or_default[:60]
        names = [f"{base}-{number}" for number in range(2, 1000)]
        for name in [self.label_or_default, *names] if including_the_name else names:
            made = self._rows.named_if_free(name)
            if made is None:
                continue
            lock = self.lock_of(made)
            if lock.take():
                self.hold(made, lock)
                self.name = name
                return made
        raise StoreError(f"No session name like {base}-N is free; /sessions lists them.")

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
