"""The conversation kept between runs: restored at start, saved after every answer.

This is the only part that talks to the session store. Loading never replaces the
conversation in memory with something unreadable, and clearing keeps a backup first.
"""

from __future__ import annotations

from pathlib import Path

from zorac_repl.conversation import Conversation, ShapeError
from zorac_repl.errors import StoreError
from zorac_repl.notice import Notice
from zorac_repl.session_store import SessionStore

__all__ = ["SavedConversation"]


class SavedConversation:
    """``conversation`` and its file in ``directory``.

    Args:
        conversation: the one conversation of the session; loading fills it in place.
        directory: the data directory.
    """

    def __init__(self, conversation: Conversation, directory: Path) -> None:
        self.conversation = conversation
        self.store = SessionStore(directory)

    @property
    def path(self) -> Path:
        return self.store.path

    def restore(self) -> list[Notice]:
        """Claim the file and load it, at start; returns the lines to tell the user.

        It runs before the first prompt, so it prints nothing itself: Rich is not loaded yet.
        """
        self.store.claim()
        loaded, notice = self._read()
        notices = [notice] if notice else []
        if loaded is not None and (loaded.messages or loaded.summary):
            self.conversation.adopt(loaded)
            notices.append(Notice(f"Loaded previous session ({len(loaded.messages)} messages, "
                                  f"~{loaded.token_count()} tokens).", "dim"))
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
        loaded = Conversation(counter=self.conversation.counter,
                              system_prompt=self.conversation.system_prompt)
        try:
            loaded.load_json(found.data)
        except ShapeError as exc:
            return None, Notice(self.store.quarantine(str(exc)).notice or "", "yellow")
        return loaded, notice

    def save(self) -> Notice | None:
        """Save the conversation; an error line instead of raising."""
        try:
            self.store.save(self.conversation.to_json())
        except StoreError as exc:
            return Notice(f"{exc} The conversation is still here; /save tries again.", "red")
        return None

    def save_now(self) -> Notice:
        error = self.save()
        if error:
            return error
        return Notice(f"Saved {len(self.conversation.messages)} messages to "
                      f"{self.store.path}.", "dim")

    def load(self) -> Notice:
        loaded, notice = self._read()
        if loaded is None:
            return notice or Notice(f"There is no saved session at {self.store.path} yet.")
        self.conversation.adopt(loaded)
        return Notice(f"Loaded the saved session ({len(loaded.messages)} messages, "
                      f"~{loaded.token_count()} tokens).", "dim")

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
