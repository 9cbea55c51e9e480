"""Logging each exchange as it ends, complete or not, into the log (``log/store.py``).

A complete exchange is logged with its messages (the user's, any tool rounds, the
answer), in the same transaction as the conversation's new state when there is a saved
conversation (``log/saved.py``); one that failed, was interrupted or got no answer is
logged marked so, and is never sent back as history. A log that cannot be written (a
full disk, a read-only directory, a locked database) is said once; the chat goes on
without it, and nothing of the conversation in memory is lost. ``LOG=off`` keeps no
exchange.
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

__all__ = ["ExchangeLog", "without_the_log"]


def without_the_log(error: StoreError) -> str:
    """The one line said when the log cannot be written: the chat goes on without it."""
    return f"{error} The chat goes on without the log."


class ExchangeLog:
    """Makes the logged form of exchanges, and writes those no saved conversation takes."""

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

    def exchange(
        self, conversation: Conversation, message: UserMessage, outcome: TurnOutcome
    ) -> Exchange | None:
        """The exchange ``outcome`` ended, as logged (it is the last one when complete);
        ``None`` with ``LOG=off``."""
        settings = self._settings.current
        if not settings.log:
            return None
        if outcome.status == "complete":
            start = conversation.last_exchange_start()
            messages = conversation.messages[start:] if start is not None else [message]
        else:
            messages = [message]
        figures = outcome.figures
        server = self._link.server
        return Exchange(
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

    def record(self, conversation: Conversation, exchange: Exchange | None) -> None:
        """Log ``exchange`` alone, in the conversation's row (made when it has none): for a
        chat without a saved conversation (a one-shot question)."""
        if self._store is None or self._broken or exchange is None:
            return
        try:
            if conversation.log_id is None:
                conversation.log_id = self._store.new_conversation()
            self._store.log(conversation.log_id, exchange)
        except StoreError as exc:
            self._broken = True
            self._printer.say(without_the_log(exc), "yellow")
        self.say_notice()

    def say_notice(self) -> None:
        """What opening the log did that the user should know (a file moved aside)."""
        if self._store is not None and self._store.notice:
            self._printer.say(self._store.notice, "yellow")
            self._store.notice = ""
