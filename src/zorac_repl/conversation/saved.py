"""The conversation kept between runs: restored at start, saved after every answer.

This is the only part that talks to the session store. Loading never replaces the
conversation in memory with something unreadable, and clearing keeps a backup first.
"""

from __future__ import annotations

import contextlib
import json
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
from zorac_repl.notice import Notice

__all__ = ["SavedConversation", "SessionSummary", "check_name", "last_session", "remember_last"]


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

    def restore(self, exclusive: bool = False) -> list[Notice]:
        """Claim the file and load it, at start; returns the lines to tell the user.

        It runs before the first prompt, so it prints nothing itself: Rich is not loaded yet.

        Raises:
            SessionInUse: ``exclusive`` was asked and another zorac-repl has the session.
        """
        self.store.claim(exclusive)
        remember_last(self.directory, self.name)
        loaded, notice = self._read()
        notices = [notice] if notice else []
        if loaded is not None and (loaded.messages or loaded.summary):
            self.conversation.adopt(loaded)
            notices.append(
                Notice(
                    f"Loaded previous session ({len(loaded.messages)} messages, "
                    f"~{loaded.token_count()} tokens).{self.other_profile()}",
                    "dim",
                )
            )
        return notices

    def release(self) -> None:
        self.store.release()

    def _read(self) -> tuple[Conversation | None, Notice | None]:
        """The saved conversation, if one can be read, and a line to show about it.

        A file that cannot be parsed, or is not a conversation, is quarantined; the
        conversation in memory is never touched here.
        """
        try:
            found = self.store.load()
        except StoreError as exc:
            return None, Notice(str(exc), "red")
        notice = Notice(found.notice, "yellow") if found.notice else None
        if found.data is None:
            return None, notice
        loaded = Conversation(
            counter=self.conversation.counter, system_prompt=self.conversation.system_prompt
        )
        try:
            loaded.load_json(found.data)
        except ShapeError as exc:
            return None, Notice(self.store.quarantine(str(exc)).notice or "", "yellow")
        return loaded, notice

    def save(self) -> Notice | None:
        """Save the conversation; an error line instead of raising."""
        self.conversation.profile = self._profile()
        try:
            self.store.save(self.conversation.to_json())
        except StoreError as exc:
            return Notice(f"{exc} The conversation is still here; /save tries again.", "red")
        return None

    def other_profile(self) -> str:
        """A note when the session was made with another server profile than the one in use."""
        made, now = self.conversation.profile, self._profile()
        if made is None or made == now:
            return ""
        current = f"this run uses {now!r}" if now else "this run uses no profile"
        return (
            f" It was made with the profile {made!r} and {current}; /profile {made} "
            "switches if you want."
        )

    def save_now(self) -> Notice:
        error = self.save()
        if error:
            return error
        return Notice(
            f"Saved {len(self.conversation.messages)} messages to {self.store.path}.", "dim"
        )

    def load(self) -> Notice:
        loaded, notice = self._read()
        if loaded is None:
            return notice or Notice(f"There is no saved session at {self.store.path} yet.")
        self.conversation.adopt(loaded)
        return Notice(
            f"Loaded the saved session ({len(loaded.messages)} messages, "
            f"~{loaded.token_count()} tokens).{self.other_profile()}",
            "dim",
        )

    def save_as(self, name: str) -> Notice:
        """``/save NAME``: a copy of the conversation under ``name``; this one stays current.

        An existing session of that name is replaced only when ``name`` ends with ``!``.
        """
        replace = name.endswith("!")
        name = name.removesuffix("!")
        problem = check_name(name)
        if problem is not None:
            return Notice(problem, "red")
        if name == self.name:
            return self.save_now()
        copy = SessionStore(self.directory, name)
        if copy.path.exists() and not replace:
            return Notice(
                f"A session named {name!r} exists; nothing was saved. /save {name}! "
                "replaces it; /load it to see it first.",
                "red",
            )
        try:
            copy.claim(exclusive=True)
            copy.save(self.conversation.to_json())
        except StoreError as exc:
            return Notice(f"{exc} Nothing was saved.", "red")
        finally:
            copy.release()
        return Notice(
            f"Saved a copy of this conversation as {name!r} "
            f"({len(self.conversation.messages)} messages); /load {name} switches "
            "to it.",
            "dim",
        )

    def switch(self, name: str) -> Notice:
        """``/load NAME``: save this session, then continue the one named ``name``."""
        problem = check_name(name)
        if problem is not None:
            return Notice(problem, "red")
        if name == self.name:
            return self.load()
        target = SessionStore(self.directory, name)
        if not target.path.exists():
            known = ", ".join(saved_names(self.directory)) or "none yet"
            return Notice(
                f"There is no saved session {name!r} (saved: {known}); /save {name} makes one.",
                "red",
            )
        error = self.save()
        if error is not None:
            return Notice(f"Not switched: {error.text}", "red")
        try:
            target.claim(exclusive=True)
        except SessionInUse as exc:
            return Notice(f"{exc} Not switched.", "red")
        previous, self.store = self.store, target
        loaded, notice = self._read()
        if loaded is None and notice is not None and notice.style == "red":
            self.store = previous
            target.release()
            return notice
        previous.release()
        remember_last(self.directory, name)
        self.conversation.adopt(loaded or Conversation())
        note = f" {notice.text}" if notice else ""
        return Notice(
            f"Switched to the session {name!r} ({len(self.conversation.messages)} "
            f"messages, ~{self.conversation.token_count()} tokens); the previous "
            f"one was saved.{note}{self.other_profile()}",
            "dim",
        )

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

    def clear(self) -> Notice:
        """Start afresh, keeping the old conversation in a backup file first."""
        conversation = self.conversation
        if not conversation.messages and not conversation.summary:
            return Notice("The conversation is already empty.", "dim")
        count = len(conversation.messages)
        try:
            backup = self.store.backup(conversation.to_json())
        except StoreError as exc:
            return Notice(f"Not cleared: the backup could not be written. {exc}", "red")
        conversation.clear()
        error = self.save()
        kept = f"The previous conversation ({count} messages) is kept in {backup}."
        if error:
            return Notice(f"Cleared. {kept} {error.text}", "yellow")
        return Notice(f"Cleared. {kept}", "dim")


def remember_last(directory: Path, name: str) -> None:
    """Note ``name`` as the session used last interactively (for ``-c``)."""
    with contextlib.suppress(OSError):
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "last-session").write_text(name + "\n", encoding="utf-8")


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
    except (OSError, ValueError):
        return SessionSummary(name, 0, 0, None, "", readable=False)
    raw = data.get("messages") if isinstance(data, dict) else None
    messages = []
    for message in raw if isinstance(raw, list) else []:
        with contextlib.suppress(MessageShapeError):
            messages.append(message_from_json(message))
    count = data.get("token_count") if isinstance(data, dict) else None
    tokens = count if isinstance(count, int) else 0
    return SessionSummary(name, len(messages), tokens, used, _first_user_text(messages))
