"""A chat core with its parts, saved under a directory, whose front end records reports.

The client is whatever ``make_client`` makes: a ``ScriptedClient`` for the chat core's own
rules, or the real ``ChatClient`` (``None``) for what crosses the wire to a dev server.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from zorac_repl.chat.budget import Budget
from zorac_repl.chat.core import Asked, Chat
from zorac_repl.chat.runner import Runner
from zorac_repl.conversation.history import Conversation
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import LogStore
from zorac_repl.render.answer_view import AnswerView
from zorac_repl.render.plain_view import PlainAnswerView
from zorac_repl.render.printer import Printer
from zorac_repl.server.client import ChatClient
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings
from zorac_repl.tokens import TokenCounter


class Recorder:
    """A front end that keeps the answers' text and every report."""

    def __init__(self) -> None:
        self.written: list[str] = []
        self.reports: list[Asked] = []

    def answer_view(self, settings: Settings) -> AnswerView:
        return PlainAnswerView(self.written.append)

    def report(self, asked: Asked, max_output_tokens: int) -> None:
        self.reports.append(asked)


class ChatHarness:
    """``Chat`` and its parts: settings, link, conversation, saved file, a recording front.

    Args:
        directory: where the conversation is saved (restored from, if it was).
        settings: the settings in force.
        make_client: the link's client; ``None``: the real one, for ``settings.base_url``.
    """

    def __init__(
        self,
        directory: Path,
        settings: Settings,
        make_client: Callable[[Settings], ChatClient] | None = None,
    ) -> None:
        self.live = LiveSettings(settings, directory / "config.json", {})
        self.link = ServerLink(self.live, make_client=make_client)
        counter = TokenCounter()
        counter.load()
        self.conversation = Conversation(counter=counter, system_prompt=settings.system_prompt)
        self.saved = SavedConversation(self.conversation, LogStore(directory / "log.db"))
        self.saved.restore()
        self.status = io.StringIO()
        printer = Printer(Console(file=self.status, width=300))
        self.front = Recorder()
        self.chat = Chat(
            self.live,
            self.link,
            Budget(self.live, self.link, self.conversation),
            self.conversation,
            self.saved,
            printer,
            Runner(printer),
            self.front,
        )
