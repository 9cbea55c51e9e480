"""The conversation in use, kept in the log: restored at start, saved after every answer.

The log is the one store of record (``log/store.py``): the conversation in use is a row of
it with its state (``log/sessions.py``), and a named session is a name on such a row.
Loading never replaces the conversation in memory with something unreadable; ``/clear``
leaves the old conversation in the log and starts a new one under the same name. One
running zorac-repl owns a conversation (``log/locks.py``); a second one started on the
same session becomes a session of its own (``default-2``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import UserMessage
from zorac_repl.errors import StoreError
from zorac_repl.log.held import HeldConversation
from zorac_repl.log.images import ImageFiles
from zorac_repl.log.names import DEFAULT_NAME, LAST_USED, check_name
from zorac_repl.log.session_outcomes import (
    Cleared,
    Loaded,
    NoSuchSession,
    Restored,
    SessionExists,
    SessionInUse,
    SessionNameRefused,
    SessionSummary,
    figures_of,
)
from zorac_repl.log.sessions import SessionRows
from zorac_repl.log.store import Exchange, LogStore

__all__ = [
    "Cleared",
    "Loaded",
    "NoSuchSession",
    "Restored",
    "SavedConversation",
    "SessionExists",
    "SessionInUse",
    "SessionNameRefused",
    "SessionSummary",
    "figures_of",
]


class SavedConversation:
    """``conversation``, kept in ``store`` as the session ``name``.

    Args:
        conversation: the one conversation in use; loading fills it in place.
        store: the log.
        name: the session to take up (``default``; ``LAST_USED`` for ``-c``).
        profile: the server profile in use, remembered with the conversation.
    """

    def __init__(
        self,
        conversation: Conversation,
        store: LogStore,
        name: str = DEFAULT_NAME,
        profile: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.conversation = conversation
        self.store = store
        self.rows = SessionRows(store)
        self.images = ImageFiles(store.path.parent / "images")
        self._asked_for = name
        self.held = HeldConversation(
            store.path.parent, self.rows, DEFAULT_NAME if name == LAST_USED else name
        )
        self._profile = profile
        self.paused = False  # a save failed: none is tried again until /save asks

    @property
    def id(self) -> int | None:
        """The conversation's id in the log; ``None`` until it is held."""
        return self.held.id

    @property
    def name(self) -> str | None:
        """The session's name; ``None`` for a conversation without one (``/resume``)."""
        return self.held.name

    @property
    def label(self) -> str:
        """The name, or ``#ID`` for a conversation without one."""
        return self.held.label

    def names(self) -> list[str]:
        """The sessions' names (for completion); none when the log cannot be read."""
        try:
            return self.rows.names()
        except StoreError:
            return []

    def restore(self, exclusive: bool = False, touch: bool = True) -> Restored:
        """Take up the session and load it, at start; says what it found, prints nothing.

        ``touch`` notes it as the one used last (``-c``): a REPL does, a one-shot not.

        Raises:
            SessionInUse: ``exclusive`` was asked and another zorac-repl has it.
            StoreError: the log cannot be opened or read; nothing is kept this run.
        """
        held = self.held
        found = self.rows.last_used() if self._asked_for == LAST_USED else None
        if found is not None:
            held.name = self.rows.name_of(found)[1]
        conversation_id = found if found is not None else self.rows.named(held.label_or_default)
        note = self.store.notice
        self.store.notice = ""
        lock = held.lock_of(conversation_id)
        if lock.take():
            held.hold(conversation_id, lock)
        else:
            taken = held.label_of(conversation_id)
            if exclusive:
                raise SessionInUse(f"The session {taken!r} is open in another running zorac-repl.")
            conversation_id = held.one_of_its_own()
            note = " ".join(
                part
                for part in (
                    note,
                    f"Another zorac-repl is using the session {taken!r}; this one starts "
                    f"fresh as {held.name!r} (later: /load {held.name}, or zorac-repl "
                    f"--session {held.name}).",
                )
                if part
            )
        self.conversation.log_id = conversation_id
        if touch:
            self.rows.touch(conversation_id)
        loaded, problem = self._read(conversation_id)
        if loaded is None:
            if problem:
                note = " ".join(part for part in (note, self._set_aside(problem)) if part)
            return Restored(None, note)
        self.conversation.adopt(loaded)  # with its log_id, as _read set it
        if not loaded.messages and not loaded.summary:
            return Restored(None, note)
        return Restored(self._described(), note)

    def _set_aside(self, problem: str) -> str:
        """The state cannot be read: it stays in the log, nameless, and a new one starts."""
        old = self.id
        assert old is not None
        self.held.hold_new(self.rows.start_over(old, keep_old=True))
        self.conversation.clear()
        self.conversation.log_id = self.id
        return (
            f"The saved conversation could not be loaded: {problem}. It stays in the log as "
            f"conversation {old}; starting a fresh one."
        )

    def release(self) -> None:
        self.held.release()

    def _read(self, conversation_id: int) -> tuple[Conversation | None, str]:
        """The conversation's saved state (or its logged exchanges, when it has none) as a
        ``Conversation``, and why it could not be read; ``(None, "")`` when it is empty.
        The conversation in memory is never touched here."""
        try:
            state = self.rows.state(conversation_id)
        except (ValueError, RecursionError) as exc:
            return None, f"its saved state is not JSON this version reads ({exc})"
        if state is None:
            messages = self.store.messages(conversation_id)
            if not messages:
                return None, ""
            state = {"version": 1, "summary": None, "messages": messages}
        loaded = Conversation(
            counter=self.conversation.counter, system_prompt=self.conversation.system_prompt
        )
        try:
            loaded.load_json(state, self.images.read)
        except ShapeError as exc:
            return None, str(exc)
        loaded.log_id = conversation_id
        return loaded, ""

    def _described(self) -> Loaded:
        conversation = self.conversation
        made, now = conversation.profile, self._profile()
        other = made is not None and made != now
        return Loaded(
            len(conversation.messages),
            conversation.token_count(),
            made if other else None,
            now if other else None,
        )

    def save(self, exchange: Exchange | None = None, force: bool = False) -> None:
        """Save the conversation, and log ``exchange`` with it, in one transaction.

        After a failure nothing is tried again until ``force`` (``/save``) asks.

        Raises:
            StoreError: it could not be written; the conversation is still in memory.
        """
        if self.paused and not force:
            return
        with self._pausing_on_failure():
            conversation_id = self._claimed()
            conversation = self.conversation
            conversation.profile = self._profile()
            self._keep_images()
            self.rows.save(
                conversation_id, conversation.to_json(), figures_of(conversation), exchange
            )

    def log(self, exchange: Exchange) -> None:
        """Log an exchange that changed nothing kept (one interrupted or failed), in this
        conversation; after a failure, nothing until ``save(force=True)`` works.

        Raises:
            StoreError: it could not be written.
        """
        if self.paused:
            return
        with self._pausing_on_failure():
            self.store.log(self._claimed(), exchange)

    @contextlib.contextmanager
    def _pausing_on_failure(self) -> Iterator[None]:
        try:
            yield
        except StoreError:
            self.paused = True
            raise
        self.paused = False

    def _claimed(self) -> int:
        """This conversation's id; after a start that could not open the log, the
        session's own name when nobody has it yet, else one of its own: never one that
        holds something."""
        held = self.held
        if held.id is None:
            self.conversation.log_id = held.one_of_its_own(including_the_name=True)
        assert held.id is not None
        return held.id

    def _keep_images(self) -> None:
        """Write the bytes of images not kept yet, before the state that names them."""
        for message in self.conversation.messages:
            if isinstance(message, UserMessage):
                for image in message.images:
                    if image.data is not None:
                        self.images.keep(image.digest, image.data)

    def load(self) -> Restored:
        """``/load``: the saved conversation again, in place of unsaved changes.

        Raises:
            StoreError: it cannot be read; nothing changed.
        """
        if self.id is None:
            return Restored(None)
        loaded, problem = self._read(self.id)
        if loaded is None:
            if problem:
                raise StoreError(f"The saved conversation cannot be read ({problem}).")
            return Restored(None)
        self.conversation.adopt(loaded)
        return Restored(self._described())

    def save_as(self, name: str) -> str:
        """``/save NAME``: a copy of the conversation under ``name``; this one stays current.

        An existing session of that name is replaced only when ``name`` ends with ``!``
        (the one replaced stays in the log, nameless). Returns the name saved under.

        Raises:
            SessionNameRefused: not a name a session can have.
            SessionExists: one has it, and ``!`` was not given.
            StoreError: it could not be written.
        """
        replace = name.endswith("!")
        name = name.removesuffix("!")
        problem = check_name(name)
        if problem is not None:
            raise SessionNameRefused(problem)
        if name == self.name:
            self.save(force=True)
            return name
        conversation = self.conversation
        conversation.profile = self._profile()
        self._keep_images()
        made = self.rows.copy_as(name, conversation.to_json(), figures_of(conversation), replace)
        if made is None:
            raise SessionExists(name)
        return name

    def switch(self, name: str) -> Restored:
        """``/load NAME``: save this conversation, then continue the session ``name``.

        Raises:
            SessionNameRefused: not a name a session can have.
            NoSuchSession: there is none of that name.
            SessionInUse: another zorac-repl has it open.
            StoreError: this one could not be saved, or that one read; nothing changed.
        """
        problem = check_name(name)
        if problem is not None:
            raise SessionNameRefused(problem)
        if name == self.name:
            return self.load()
        target = self.rows.find(name)
        if target is None:
            raise NoSuchSession(name, self.rows.names())
        return self._take_up(target)

    def resume(self, conversation_id: int) -> Restored:
        """``/resume ID``: save this conversation, then continue the one logged as ``ID``.

        Raises:
            NoSuchSession: the log has no such conversation.
            SessionInUse: another zorac-repl has it open.
            StoreError: this one could not be saved, or that one read; nothing changed.
        """
        if conversation_id == self.id:
            return self.load()
        exists, _ = self.rows.name_of(conversation_id)
        if not exists:
            raise NoSuchSession(f"#{conversation_id}", [])
        return self._take_up(conversation_id)

    def _take_up(self, target: int) -> Restored:
        held = self.held
        label = held.label_of(target)
        lock = held.lock_of(target)
        if not lock.take():
            raise SessionInUse(f"The session {label!r} is open in another running zorac-repl.")
        try:
            self.save(force=True)
            loaded, problem = self._read(target)
            if problem:
                raise StoreError(
                    f"The conversation {label!r} cannot be read ({problem}). Nothing "
                    f"changed: {self.label!r} goes on."
                )
            self.rows.touch(target)
        except StoreError:
            lock.release()
            raise
        held.hold(target, lock)
        held.name = self.rows.name_of(target)[1]
        if loaded is None:
            self.conversation.clear()
            self.conversation.log_id = target
            return Restored(None)
        self.conversation.adopt(loaded)  # with its log_id, as _read set it
        return Restored(self._described())

    def sessions(self) -> list[SessionSummary]:
        """The named sessions; this conversation first when it has no name."""
        found = [
            SessionSummary(
                row.name or "",
                row.messages,
                row.tokens,
                _local(row.used),
                row.opening,
                row.id,
            )
            for row in self.rows.sessions()
        ]
        if self.name is None:
            messages, tokens, opening = figures_of(self.conversation)
            here = SessionSummary(self.label, messages, tokens, None, opening, self.id or 0)
            found.insert(0, here)
        return found

    def clear(self, keep: bool = True) -> Cleared | None:
        """Start a new conversation under this name; the old one stays in the log
        (``keep`` False, ``LOG=off``: it goes). ``None`` when it was empty already.

        Raises:
            StoreError: the log could not be written; nothing was cleared.
        """
        conversation = self.conversation
        if not conversation.messages and not conversation.summary:
            return None
        count = len(conversation.messages)
        self.save(force=True)
        old = self.id
        assert old is not None
        self.held.hold_new(self.rows.start_over(old, keep_old=keep))
        conversation.clear()
        conversation.log_id = self.id
        with contextlib.suppress(StoreError):  # it is empty: the next answer saves it anyway
            self.save(force=True)
        return Cleared(count, old if keep else None)

    def forget(self) -> None:
        """``/forget``: delete this conversation for real (its rows, its search entries,
        images nothing else names) and go on with an empty one under the same name.

        Raises:
            StoreError: the log could not be written; nothing was deleted.
        """
        old = self.id
        if old is not None:
            self.store.forget(old)
            name = self.name
            self.held.hold_new(
                self.rows.named(name) if name is not None else self.store.new_conversation()
            )
        self.conversation.clear()
        self.conversation.log_id = self.id


def _local(used: float | None) -> str | None:
    if used is None:
        return None
    with contextlib.suppress(OverflowError, OSError, ValueError):
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(used))
    return None
