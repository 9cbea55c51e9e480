"""Logging each exchange as it ends, complete or not, into the log (``log/store.py``).

A complete exchange is logged with its messages (the user's, any tool rounds, the
answer), so the conversation can be read back; one that failed, was interrupted or got
no answer is logged marked so, and is never sent back as history. A log that cannot be
written (a full disk, a read-only directory, a locked database) is said once; the chat
goes on without it, and nothing of the conversation in memory is lost. ``LOG=off``
keeps nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import UserMessage, to_json
from zorac_repl.errors import StoreError
from zorac_repl.log.store import Exchange, LogStore
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings

if TYPE_CHECKING:
    from zorac_repl.chat.turn import TurnOutcome

__all__ = ["ExchangeLog"]


class ExchangeLog:
    """Writes exchanges to ``store``; ``None`` keeps nothing."""

    def __init__(
        self,
        store: LogStore | None,
        settings: LiveSettings,
        link: ServerLink,
        printer: Printer,
    ) -> None:
        self._store = store
        self._settings = settings
        self._link = link
        self._printer = printer
        self._broken = False

    def record(
        self, conversation: Conversation, message: UserMessage, outcome: TurnOutcome
    ) -> None:
        """Log the exchange ``outcome`` ended (it is the last one when complete)."""
        settings = self._settings.current
        if self._store is None or self._broken or not settings.log:
            return
        if outcome.status == "complete":
            start = conversation.last_exchange_start()
            messages = conversation.messages[start:] if start is not None else [message]
        else:
            messages = [message]
        figures = outcome.figures
        server = self._link.server
        exchange = Exchange(
            status=outcome.status,
            question=message.text,
            answer=outcome.text,
            messages=[to_json(m) for m in messages],
            thinking=outcome.thinking,
            attachments=message.attachment_line(),
            model=settings.model,
            server=server.name if server is not None else settings.shown_base_url,
            profile=self._settings.profile or "",
            figures={
                "tokens": figures.tokens,
                "duration": round(figures.duration, 3),
                "ttft": None if figures.ttft is None else round(figures.ttft, 3),
                "tokens_per_second": round(figures.tokens_per_second, 1),
                "prompt_tokens": figures.prompt_tokens,
            },
        )
        try:
            if conversation.log_id is None:
                conversation.log_id = self._store.new_conversation()
            self._store.log(conversation.log_id, exchange)
        except StoreError as exc:
            self._broken = True
            self._printer.say(f"{exc} The chat goes on without the log.", "yellow")
        if self._store.notice:
            self._printer.say(self._store.notice, "yellow")
            self._store.notice = ""
