"""The conversation kept between runs: restored at start, saved after every answer.

This is the only part that talks to the session store. Loading never replaces the
conversation in memory with something unreadable, and clearing keeps a backup first.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import (
    Message,
    MessageShapeError,
    UserMessage,
    message_from_json,
)
from zorac_repl.conversation.store import (
    DEFAULT_NAME,
    SessionInUse,
    SessionStore,
    check_name,
    saved_names,
    session_path,
)
from zorac_repl.errors import StoreError

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
    "check_name",
    "last_session",
    "remember_last",
    "saved_files",
]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A saved session as ``/sessions`` lists it.

    Attributes:
        name: the session's name.
        messages: how many messages it holds.
        tokens: its token count when saved.
        last_used: when it was last saved (local time), ``None`` if never.
        first_message: the text of its first user message.
        readable: False when the file could not be read.
    """

    name: str
    messages: int
    tokens: int
    last_used: str | None
    first_message: str
    readable: bool = True


@dataclass(frozen=True, slots=True)
class Loaded:
    """A saved session now in the conversation.

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
    """What reading a saved session came to: the session, if any, and what the store did
    (an unreadable file moved aside, a second instance given a file of its own)."""

    loaded: Loaded | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Cleared:
    """``/clear`` done: how many messages went, where they are kept, and whether saving
    the empty conversation failed."""

    messages: int
    backup: Path
    save_error: StoreError | None = None


class SessionNameRefused(StoreError):
    """Not a name a session can have; the text says why."""


class SessionExists(StoreError):
    """``/save NAME`` without ``!`` where a session has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A session named {name!r} exists.")
        self.name = name


class NoSuchSession(StoreError):
    """``/load NAME`` of a session that was never saved."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"There is no saved session {name!r}.")
        self.name = name
        self.known = known


class SavedConversation:
    """``conversation`` and its file in ``directory``.

    Args:
        conversation: the one conversation of the session; loading fills it in place.
        directory: the data directory.
        name: the saved session it is (``default``, or one named with ``--session``).
    """

    def __init__(
        self,
        conversation: Conversation,
        directory: Path,
        name: str = DEFAULT_NAME,
        profile: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.conversation = conversation
        self.directory = directory
        self.store = SessionStore(directory, name)
        self._profile = profile  # the server profile in use, remembered with the session

    @property
    def name(self) -> str:
        return self.store.name

    def names(self) -> list[str]:
        """The saved sessions' names (for completion)."""
        return saved_names(self.directory)

    @property
    def path(self) -> Path:
        return self.store.path

    def restore(self, exclusive: bool = False) -> Restored:
        """Claim the file and load it, at start; says what it found, prints nothing.

        Raises:
            SessionInUse: ``exclusive`` was asked and another zorac-repl has the session.
            StoreError: the file cannot be read (it stays where it is; nothing changed).
        """
        self.store.claim(exclusive)
        remember_last(self.directory, self.name)
        loaded, note = self._read()
        if loaded is not None and (loaded.messages or loaded.summary):
            self.conversation.adopt(loaded)
            return Restored(self._described(), note)
        return Restored(None, note)

    def release(self) -> None:
        self.store.release()

    def _read(self) -> tuple[Conversation | None, str]:
        """The saved conversation, if there is one it can read, and what the store did.

        A file that cannot be parsed, or is not a conversation, is quarantined (the note
        says where it went); the conversation in memory is never touched here.

        Raises:
            StoreError: the file cannot be read at all.
        """
        found = self.store.load()
        note = found.notice or ""
        if found.data is None:
            return None, note
        loaded = Conversation(
            counter=self.conversation.counter, system_prompt=self.conversation.system_prompt
        )
        try:
            loaded.load_json(found.data, self.store.read_image)
        except ShapeError as exc:
            return None, self.store.quarantine(str(exc)).notice or ""
        return loaded, note

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

    def save(self) -> None:
        """Save the conversation.

        Raises:
            StoreError: it could not be written; the conversation is still in memory.
        """
        self.conversation.profile = self._profile()
        self._keep_images()
        self.store.save(self.conversation.to_json())

    def _keep_images(self) -> None:
        """Write the bytes of images not kept yet, before the JSON that names them."""
        for message in self.conversation.messages:
            if isinstance(message, UserMessage):
                for image in message.images:
                    if image.data is not None:
                        self.store.keep_image(image.digest, image.data)

    def load(self) -> Restored:
        """``/load``: the saved session again, in place of this one's unsaved changes.

        Raises:
            StoreError: the file cannot be read; nothing changed.
        """
        loaded, note = self._read()
        if loaded is None:
            return Restored(None, note)
        self.conversation.adopt(loaded)
        return Restored(self._described(), note)

    def save_as(self, name: str) -> str:
        """``/save NAME``: a copy of the conversation under ``name``; this one stays current.

        An existing session of that name is replaced only when ``name`` ends with ``!``.
        Returns the name saved under (this session's own: saved as usual).

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
            self.save()
            return name
        copy = SessionStore(self.directory, name)
        if copy.path.exists() and not replace:
            raise SessionExists(name)
        try:
            copy.claim(exclusive=True)
            self._keep_images()
            copy.save(self.conversation.to_json())
        finally:
            copy.release()
        return name

    def switch(self, name: str) -> Restored:
        """``/load NAME``: save this session, then continue the one named ``name``.

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
        target = SessionStore(self.directory, name)
        if not target.path.exists():
            raise NoSuchSession(name, saved_names(self.directory))
        self.save()
        target.claim(exclusive=True)
        previous, self.store = self.store, target
        try:
            loaded, note = self._read()
            if loaded is None:
                # Quarantined: a failed load changes nothing, where answers are saved least.
                moved = note.replace("; starting a fresh session.", ".")
                raise StoreError(f"{moved} Nothing changed: {previous.name!r} goes on.")
        except StoreError:
            self.store = previous
            target.release()
            raise
        previous.release()
        remember_last(self.directory, name)
        self.conversation.adopt(loaded)
        return Restored(self._described(), note)

    def sessions(self) -> list[SessionSummary]:
        """The saved sessions, this one first if it has not been saved yet."""
        found = [_summary(name, session_path(self.directory, name)) for name in self.names()]
        if self.name not in [summary.name for summary in found]:
            conversation = self.conversation
            found.insert(
                0,
                SessionSummary(
                    self.name,
                    len(conversation.messages),
                    conversation.token_count(),
                    None,
                    _first_user_text(conversation.messages),
                ),
            )
        return found

    def clear(self) -> Cleared | None:
        """Start afresh, keeping the old conversation in a backup file first.

        Returns ``None`` when it was empty already.

        Raises:
            StoreError: the backup could not be written; nothing was cleared.
        """
        conversation = self.conversation
        if not conversation.messages and not conversation.summary:
            return None
        count = len(conversation.messages)
        self._keep_images()
        backup = self.store.backup(conversation.to_json())
        conversation.clear()
        try:
            self.save()
        except StoreError as exc:
            return Cleared(count, backup, exc)
        return Cleared(count, backup)


def saved_files(directory: Path) -> list[tuple[str, Path]]:
    """Each saved session's name and file (not backups, not quarantined files): the default
    first if it exists, then by name."""
    return [(name, session_path(directory, name)) for name in saved_names(directory)]


def remember_last(directory: Path, name: str) -> None:
    """Note ``name`` as the session used last interactively (for ``-c``)."""
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        with os.fdopen(os.open(directory / "last-session", flags, 0o600), "w") as file:
            os.fchmod(file.fileno(), 0o600)  # one made 0644 by an older version
            file.write(name + "\n")


def last_session(directory: Path) -> str:
    """The session used last interactively (``default`` when none was noted)."""
    try:
        name = (directory / "last-session").read_text(encoding="utf-8").strip()
    except OSError:
        return DEFAULT_NAME
    return name if check_name(name) is None else DEFAULT_NAME


def _first_user_text(messages: list[Message]) -> str:
    return next((m.text for m in messages if isinstance(m, UserMessage)), "")


def _summary(name: str, path: Path) -> SessionSummary:
    """What a saved session file holds, read without loading it as a conversation."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(path.stat().st_mtime))
    except (OSError, ValueError, RecursionError):
        return SessionSummary(name, 0, 0, None, "", readable=False)
    raw = data.get("messages") if isinstance(data, dict) else None
    messages = []
    for message in raw if isinstance(raw, list) else []:
        with contextlib.suppress(MessageShapeError):
            messages.append(message_from_json(message))
    count = data.get("token_count") if isinstance(data, dict) else None
    tokens = count if isinstance(count, int) else 0
    return SessionSummary(name, len(messages), tokens, used, _first_user_text(messages))
