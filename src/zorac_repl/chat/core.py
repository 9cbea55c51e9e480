"""The chat core: one message's way to an answer, the same for every front end.

A message is sent only when the conversation fits the budget, summarizing older
messages first when it would not (``room.py``). A turn that does not complete gives the
message back as the draft, and what was staged stays staged; one that completes is saved
at once. ``/edit`` and ``/retry`` replace the last exchange, which comes back if the new
answer fails.

A front end gives the core only what a front end knows (``FrontEnd``): how to draw an
answer, and how to tell the user what came of it. Nothing here waits on the terminal:
the runner owns the keyboard meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zorac_repl.attachments.staged import Staged
from zorac_repl.chat.attached import images_held_back, refusal_told
from zorac_repl.chat.budget import Budget
from zorac_repl.chat.exchange_log import ExchangeLog, without_the_log
from zorac_repl.chat.room import Room
from zorac_repl.chat.runner import Runner
from zorac_repl.chat.tool_rounds import ToolRounds
from zorac_repl.chat.tool_use import ToolFront, ToolUse
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import (
    Message,
    TextPart,
    UserMessage,
    headline,
)
from zorac_repl.errors import (
    ConnectionFailed,
    ContextOverflow,
    ImagesRefused,
    ServerError,
    StoreError,
    ZoracError,
)
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import Exchange, LogStore
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings
from zorac_repl.tools.toolbox import ToolBox

if TYPE_CHECKING:
    from zorac_repl.chat.turn import TurnOutcome
    from zorac_repl.render.answer_view import AnswerView

__all__ = ["Asked", "Chat", "FrontEnd", "save_failed"]

# How near the server's window a conversation is when Ollama's truncation is warned of.
_NEAR_WINDOW = 0.6
_OLLAMA_TRUNCATES = (
    "Ollama is running this model with a {window}-token window; older "
    "messages will be dropped by the server. Raise it with "
    "OLLAMA_CONTEXT_LENGTH or a Modelfile (PARAMETER num_ctx)."
)


def save_failed(error: StoreError) -> str:
    """A save that failed, and that nothing was lost (the conversation is in memory)."""
    return f"{error} The conversation is still here; /save tries again."


@dataclass(frozen=True, slots=True)
class Asked:
    """What came of one message.

    Attributes:
        text: the message.
        draft: what goes back into the input: the message, unless it was answered.
        outcome: how the turn ended; ``None`` when nothing was sent.
        error: why nothing was sent (no model, a summary that failed), or the turn's error.
        stats: the figures line: tokens, time, rates, and the conversation against its budget.
        error_told: the error was said already, while the work ran (a failed summary).
    """

    text: str
    draft: str
    outcome: TurnOutcome | None = None
    error: ZoracError | None = None
    stats: str = ""
    advice: str = ""  # what makes room, after the server refused the prompt as too long
    error_told: bool = False

    @property
    def is_answered(self) -> bool:
        return self.outcome is not None and self.outcome.status == "complete"


class FrontEnd(ToolFront, Protocol):
    """What only a front end knows: how an answer is drawn, how an outcome is told, and
    how a tool call is asked about and its result shown."""

    def answer_view(self, settings: Settings) -> AnswerView:
        """A fresh view for the next answer, drawn as ``settings`` say (theme, thinking)."""
        ...

    def report(self, asked: Asked, max_output_tokens: int) -> None:
        """Tell the user how a message fared (the stats line, an error, the output limit)."""
        ...


class Chat:
    """Sends the user's messages and keeps the conversation whole.

    Args:
        settings: the live settings (model, temperature, limits, stream or not).
        link: the server.
        budget: the conversation's token budget.
        conversation: the conversation asked in.
        saved: where it is kept, saved after each complete answer; ``None``: only the log.
        printer: status lines while the work runs (summarizing, replacing).
        runner: runs turns and summaries so that Ctrl+C stops them.
        front: draws answers and tells outcomes.

    Attributes:
        staged: attachments for the next message (``/attach``, ``-a``); they stay staged
            until a message carrying them is answered.
        last_unsent: the message of a turn that failed, for ``/retry``.
        replacing: the answer ``/edit`` took its message from: the next message sent
            replaces that exchange (while it is still the last).
    """

    def __init__(
        self,
        settings: LiveSettings,
        link: ServerLink,
        budget: Budget,
        conversation: Conversation,
        saved: SavedConversation | None,
        printer: Printer,
        runner: Runner,
        front: FrontEnd,
        tools: ToolBox | None = None,
        log: LogStore | None = None,
    ) -> None:
        self._settings = settings
        self._link = link
        self._budget = budget
        self._conversation = conversation
        self._saved = saved
        self._printer = printer
        self._runner = runner
        self._front = front
        self.staged = Staged(lambda text: self.conversation.counter.count(text))
        self._room = Room(
            settings, link, budget, conversation, printer, runner, self.staged, self._save
        )
        self.tool_use = ToolUse(tools, settings, runner, printer, front) if tools else None
        self._log = ExchangeLog(log, settings, link, printer)
        self._rounds = ToolRounds(
            settings, link, conversation, printer, runner, self.tool_use, front.answer_view
        )
        self.last_unsent: str | None = None
        self.replacing: Message | None = None
        self._warned_window = False

    @property
    def conversation(self) -> Conversation:
        return self._conversation

    def edit(self) -> str | None:
        """``/edit``: the last message, for the input; sending it replaces its exchange.

        Its attachments are staged again, so the edited message carries them too.
        """
        start = self.conversation.last_exchange_start()
        if start is None:
            return None
        messages = self.conversation.messages
        self.replacing = messages[-1]
        asked = messages[start]
        if isinstance(asked, UserMessage):
            self.staged.add(asked.attachments)
        return asked.text

    async def ask(self, text: str) -> Asked:
        """Send ``text`` and tell the front end how it went."""
        replaced = self._take_edited_exchange()
        asked = await self._ask(text)
        if replaced and not asked.is_answered:  # the old exchange comes back
            self.conversation.put_back(replaced)
        return asked

    def _take_edited_exchange(self) -> list[Message]:
        replacing, self.replacing = self.replacing, None
        conversation = self.conversation
        if (
            replacing is None
            or conversation.exchanges_at_end() == 0
            or conversation.messages[-1] != replacing
        ):
            return []  # the conversation moved on since /edit
        removed = conversation.remove_exchanges(1)
        self._printer.say(
            f'Replacing the last exchange ("{headline(removed[0].text, 60)}"): it stays '
            "above, but leaves the conversation.",
            "dim",
        )
        return removed

    async def _ask(self, asking: str | UserMessage) -> Asked:
        asked = await self._turn(asking)
        self._front.report(asked, self._settings.current.max_output_tokens)
        return asked

    def _composed(self, text: str) -> UserMessage:
        """``text`` with what is staged, as the message to send."""
        staged = self.staged.take()
        return UserMessage((TextPart(text), *staged) if staged else text)

    async def _turn(self, asking: str | UserMessage) -> Asked:
        """Send a typed text with what is staged, or a message again as it was (``/retry``)."""
        text = asking if isinstance(asking, str) else asking.text
        message = self._composed(asking) if isinstance(asking, str) else asking
        try:
            await self._link.ensure_model()
        except ZoracError as exc:
            return Asked(text, text, error=exc)
        settings = self._settings.current
        held = await images_held_back(self._link, message, self.conversation, settings)
        if held is not None:
            return Asked(text, text, error=held)
        self._warn_of_server_truncation(text)
        fitted = await self._room.fit(message)
        if fitted is not True:
            return Asked(text, text, error=fitted or None, error_told=True)
        try:
            tools = await self._rounds.offered()
        except asyncio.CancelledError:
            return Asked(
                text, text, error=ZoracError("Not sent: the MCP servers were still starting.")
            )
        self.conversation.add_user(message)
        outcome = await self._rounds.run(self._link.request(), tools)
        exchange = self._log.exchange(self.conversation, message, outcome)
        if outcome.status != "complete":
            self._keep(exchange, with_state=False)  # logged, marked; nothing else changed
        self.last_unsent = None if outcome.status == "complete" else text
        if outcome.status == "complete" and message.attachments and isinstance(asking, str):
            self.staged.clear()  # sent and answered: they live in the conversation now
        if isinstance(outcome.error, ImagesRefused):
            told = refusal_told(outcome.error, self._link, message, settings)
            outcome = dataclasses.replace(outcome, error=told)
        if outcome.status in ("complete", "unanswered") or isinstance(outcome.error, ServerError):
            self._link.answered()  # it answered, even if with an error
        if outcome.status == "complete":
            self._keep(exchange, with_state=True)
            await self._after_answer()
        elif isinstance(outcome.error, ConnectionFailed):
            self._link.lost()
        advice = ""
        if isinstance(outcome.error, ContextOverflow):
            if outcome.error.window:
                # The server said its real window: the next budget uses it.
                self._link.learn_window(outcome.error.window)
            window = outcome.error.window or self._link.max_model_len or self._budget.limit
            advice = self.room_advice(self._room.tokens_of(message), window)
        stats = self._stats_line(outcome, bool(message.attachments))
        return Asked(text, outcome.draft or "", outcome, outcome.error, stats, advice)

    def _stats_line(self, outcome: TurnOutcome, attached: bool = False) -> str:
        from zorac_repl.stats import format_context, format_stats

        conversation = self.conversation
        context = format_context(
            len(conversation.messages), conversation.token_count(), self._budget.limit
        )
        prompt = outcome.figures.prompt_tokens
        if attached and prompt is not None:
            # What the attachments really cost: only the server knows an image's tiles.
            context += f" | prompt {prompt} tokens (server's count)"
        return format_stats(outcome.figures, context)

    def _save(self) -> None:
        """Save the conversation as it stands (after a summary)."""
        self._keep(None, with_state=True)

    def _keep(self, exchange: Exchange | None, with_state: bool) -> None:
        """Log ``exchange`` and, ``with_state``, save the conversation with it in one
        transaction; without a saved conversation, the exchange is logged alone.

        A failure (a full disk, a read-only directory, a locked log) is said once; the chat
        goes on without the log until ``/save`` succeeds (``SavedConversation.paused``).
        """
        saved = self._saved
        if saved is None:
            self._log.record(self.conversation, exchange)
            return
        if saved.paused:
            return
        try:
            if with_state:
                saved.save(exchange)
            elif exchange is not None:
                saved.log(exchange)
        except StoreError as exc:
            self._printer.say(without_the_log(exc), "yellow")
        self._log.say_notice()

    def _warn_of_server_truncation(self, text: str) -> None:
        """Ollama drops the oldest messages past its window without a word: say it once,
        as the conversation comes near (the budget then summarizes here instead)."""
        server, window = self._link.server, self._link.max_model_len
        if self._warned_window or server is None or server.kind != "Ollama" or not window:
            return
        conversation = self.conversation
        if conversation.token_count() + len(text) // 4 < window * _NEAR_WINDOW:
            return
        self._warned_window = True
        self._printer.say(_OLLAMA_TRUNCATES.format(window=window), "yellow")

    async def _after_answer(self) -> None:
        """Ollama loads the model on the first request: its window is known only now."""
        before = self._link.max_model_len
        window = await self._link.recheck_window()
        if window is not None and window != before:
            self._printer.say(
                f"Ollama runs {self._settings.current.model} with a "
                f"{window}-token window; the budget is now "
                f"{self._budget.limit} tokens.",
                "dim",
            )

    async def retry(self) -> Asked | None:
        """Send the last message again: the one that failed, else the last one answered.

        Returns ``None`` when there is nothing to retry.
        """
        text = self.last_unsent
        if text is not None:
            self._printer.say(f'Sending again: "{headline(text, 60)}"', "dim")
            return await self.ask(text)
        if self.conversation.exchanges_at_end() == 0:
            return None
        removed = self.conversation.remove_exchanges(1)
        self._printer.say(
            f'Asking again, in place of the last answer: "{headline(removed[0].text, 60)}"',
            "dim",
        )
        asked = await self._ask(
            removed[0] if isinstance(removed[0], UserMessage) else removed[0].text
        )
        if not asked.is_answered:  # the old one comes back
            self.conversation.put_back(removed)
        return asked

    def room_advice(self, message_tokens: int, window: int) -> str:
        """What will make room for a message of ``message_tokens`` (``Room.advice``)."""
        return self._room.advice(message_tokens, window)

    def summarizable(self) -> int:
        """How many older messages ``/summarize`` would replace now (0: none)."""
        return self._room.summarizable()

    async def summarize_now(self) -> str | None:
        """``/summarize``: the outcome line, or ``None`` when a failure was already said.

        Raises:
            ZoracError: no model is known and the server cannot name one.
        """
        await self._link.ensure_model()
        done = await self._room.summarize()
        return done if isinstance(done, str) else None
