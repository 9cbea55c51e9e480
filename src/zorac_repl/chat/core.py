"""The chat: asking, retrying and summarizing, within the budget, stoppable by Ctrl+C.

A message is sent only when the conversation fits the budget, summarizing older
messages first when it would not. A turn that does not complete gives the message back
as the draft; one that completes is saved at once. Nothing here waits on the terminal:
the runner owns the keyboard meanwhile.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from zorac_repl.chat.budget import Budget
from zorac_repl.chat.runner import Runner
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import Message, headline, to_wire
from zorac_repl.conversation.saved import SavedConversation
from zorac_repl.errors import ConnectionFailed, ContextOverflow, ZoracError
from zorac_repl.notice import Notice
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.terminal.screen import (
    CursorProbe,
    flushing_writer,
    known_to_rewrap,
    terminal_columns,
    terminal_rows,
)

if TYPE_CHECKING:
    from zorac_repl.chat.turn import TurnOutcome
    from zorac_repl.render.thought_area import ReasoningMode

__all__ = ["Chat"]

# How near the server's window a conversation is when Ollama's truncation is warned of.
_NEAR_WINDOW = 0.6
_OLLAMA_TRUNCATES = (
    "Ollama is running this model with a {window}-token window; older "
    "messages will be dropped by the server. Raise it with "
    "OLLAMA_CONTEXT_LENGTH or a Modelfile (PARAMETER num_ctx)."
)


class Chat:
    """Sends the user's messages and shows the answers.

    Args:
        settings: the live settings (model, temperature, limits, stream or not).
        link: the server.
        budget: the conversation's token budget.
        saved: the conversation and its file; saved after each complete answer.
        printer: status lines.
        runner: runs turns and summaries so that Ctrl+C stops them.
        environ: tells which terminal this is (how it re-wraps on a resize).

    Attributes:
        last_unsent: the message of a turn that failed, for ``/retry``.
        last_stats: the last answer's figures, for the toolbar.
        replacing: the answer ``/edit`` took its message from: the next message sent
            replaces that exchange (while it is still the last).
    """

    def __init__(
        self,
        settings: LiveSettings,
        link: ServerLink,
        budget: Budget,
        saved: SavedConversation,
        printer: Printer,
        runner: Runner,
        environ: Mapping[str, str],
    ) -> None:
        self._settings = settings
        self._link = link
        self._budget = budget
        self._saved = saved
        self._printer = printer
        self._runner = runner
        self._environ = environ
        self._cursor_probe: CursorProbe | None = None
        self.last_unsent: str | None = None
        self.last_stats = ""
        self.replacing: Message | None = None
        self._warned_window = False

    @property
    def conversation(self) -> Conversation:
        return self._saved.conversation

    def edit(self) -> str | None:
        """``/edit``: the last message, for the input; sending it replaces its exchange."""
        if self.conversation.exchanges_at_end() == 0:
            return None
        messages = self.conversation.messages
        self.replacing = messages[-1]
        return messages[-2].text

    async def ask(self, text: str) -> str:
        """Run one turn for ``text``; returns the draft to put back in the input."""
        replaced = self._take_edited_exchange()
        draft = await self._ask(text)
        if replaced and draft:  # the new answer failed: the old exchange comes back
            self.conversation.put_back(replaced)
        return draft

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

    async def _ask(self, text: str) -> str:
        from zorac_repl.chat.turn import run_turn
        from zorac_repl.render.answer_view import TerminalAnswerView

        problem = await self._link.ensure_model()
        if problem is not None:
            self._printer.show(problem)
            return text
        self._warn_of_server_truncation(text)
        if not await self._fit_budget(text):
            return text
        self.conversation.add_user(text)
        write = flushing_writer(sys.stdout)
        keys = self._runner.keys
        if self._cursor_probe is None and keys is not None:
            self._cursor_probe = CursorProbe(write, keys, known_to_rewrap(self._environ))
        settings = self._settings.current
        view = TerminalAnswerView(
            self._printer.console,
            write,
            terminal_rows,
            settings.code_theme,
            columns=terminal_columns,
            cursor_probe=self._cursor_probe,
            reasoning=cast("ReasoningMode", settings.reasoning),
            thought_hint=" · /think shows it",
        )
        # The turn ends as "interrupted" when cancelled: it never raises CancelledError.
        outcome = await self._runner.run(
            run_turn(
                self._link.client,
                self.conversation,
                self._link.request(),
                view,
                stream=settings.stream,
            )
        )
        self._report(outcome)
        self.last_unsent = None if outcome.status == "complete" else text
        if outcome.status == "complete":
            self._printer.show(self._saved.save())
            await self._after_answer()
        elif isinstance(outcome.error, ConnectionFailed):
            self._link.lost()
        elif isinstance(outcome.error, ContextOverflow) and outcome.error.window:
            # The server said its real window: the next budget uses it.
            self._link.learn_window(outcome.error.window)
        return outcome.draft or ""

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

    async def retry(self) -> str | None:
        """Send the last message again: the one that failed, else the last one answered.

        Returns the draft, or ``None`` when there is nothing to retry.
        """
        text = self.last_unsent
        if text is not None:
            return await self.ask(text)
        if self.conversation.exchanges_at_end() == 0:
            return None
        removed = self.conversation.remove_exchanges(1)
        draft = await self._ask(removed[0].text)
        if draft:  # the new answer failed: the old one comes back
            self.conversation.put_back(removed)
        return draft

    async def summarize_now(self) -> Notice | None:
        """``/summarize``: the outcome, or ``None`` when a failure was already shown."""
        from zorac_repl.chat.summarize import older_message_count

        keep = self._settings.current.keep_recent_messages
        if older_message_count(self.conversation, keep) == 0:
            return Notice(
                f"Nothing to summarize: the conversation has no messages older "
                f"than the last {keep} (KEEP_RECENT_MESSAGES)."
            )
        problem = await self._link.ensure_model()
        if problem is not None:
            return problem
        done = await self._summarize()
        return None if done is None else Notice(done, "dim")

    async def _summarize(self) -> str | None:
        """Summarize with a cancellable spinner; the outcome line, or ``None`` on failure."""
        from zorac_repl.chat.summarize import older_message_count, summarize, summary_token_limit

        keep = self._settings.current.keep_recent_messages
        count = older_message_count(self.conversation, keep)
        label = f"Summarizing {count} older messages… (Ctrl+C cancels)"
        say = self._printer.say
        try:
            result = await self._runner.run(
                summarize(
                    self._link.client,
                    self.conversation,
                    self._link.request(),
                    keep,
                    summary_token_limit(self._budget.limit),
                ),
                label,
            )
        except asyncio.CancelledError:
            say("Summarization cancelled; nothing was removed from the conversation.", "yellow")
            return None
        except ZoracError as exc:
            say(f"Summarization failed: {exc} Nothing was removed from the conversation.", "red")
            return None
        if result is None:
            return "Nothing to summarize."
        self._printer.show(self._saved.save())
        return (
            f"Summarized {result.replaced} older messages: ~{result.before} → "
            f"~{result.after} tokens. /summary shows the summary."
        )

    async def _fit_budget(self, text: str) -> bool:
        """Make room for ``text`` by summarizing if the next request would not fit.

        Returns False when the user's message must wait (summarization failed or was
        cancelled): nothing was lost, and the message goes back into the input.
        """
        needed = await self._budget.shortfall(text)
        if needed is None:
            return True
        from zorac_repl.chat.summarize import older_message_count

        conversation, limit, say = self.conversation, self._budget.limit, self._printer.say
        keep = self._settings.current.keep_recent_messages
        if older_message_count(conversation, keep) == 0:
            say(
                f"This message makes the conversation ~{needed} tokens, over the budget of "
                f"{limit}, and there is nothing old enough to summarize. Sending it anyway; "
                "/clear starts fresh if the server refuses.",
                "yellow",
            )
            return True
        say(
            f"The conversation would be ~{needed} tokens, over the budget of {limit}; "
            "summarizing older messages first.",
            "dim",
        )
        outcome = await self._summarize()
        if outcome is None:
            say(
                "Your message was not sent; it is back in the input. Try /summarize again, "
                "/clear to start fresh, or raise MAX_INPUT_TOKENS.",
                "yellow",
            )
            return False
        after = conversation.token_count() + conversation.counter.count_message(text)
        say(outcome, "dim")
        if after > limit:
            recent = conversation.counter.count_messages(map(to_wire, conversation.messages))
            say(
                f"Still ~{after} tokens after summarizing, over the budget of {limit}: the "
                f"last {len(conversation.messages)} messages alone are ~{recent}. Sending "
                "anyway; lower KEEP_RECENT_MESSAGES, or /clear if the server refuses.",
                "yellow",
            )
        return True

    def _report(self, outcome: TurnOutcome) -> None:
        from zorac_repl.stats import format_context, format_stats, short_rate

        conversation = self.conversation
        context = format_context(
            len(conversation.messages), conversation.token_count(), self._budget.limit
        )
        stats = format_stats(outcome.figures, context)
        figures = outcome.figures
        self.last_stats = f"last: {figures.tokens} tokens, {short_rate(figures)}"
        say = self._printer.say
        if outcome.status == "interrupted":
            if figures.thinking_seconds is not None and figures.answer_at is None:
                say(f"Thinking stopped after {figures.thinking_seconds:.1f}s.", "yellow")
            say(f"Response interrupted. {stats}", "yellow")
        elif outcome.status == "unanswered":
            from zorac_repl.stats import no_answer_line

            say(
                f"{no_answer_line(self._settings.current.max_output_tokens)} Your message "
                "is back in the input.",
                "yellow",
            )
        elif outcome.error is not None:
            kept = " The partial answer above was not kept." if outcome.text else ""
            if isinstance(outcome.error, ContextOverflow):
                kept += (
                    " Your message is back in the input: /summarize or /clear makes "
                    "room, then send it again."
                )
            say(f"{outcome.error}{kept}", "red")
        else:
            say(stats, "dim")
            if outcome.finish_reason == "length":
                say(
                    f"The answer stopped at the output limit "
                    f"({self._settings.current.max_output_tokens} tokens); raise it with "
                    "/config set MAX_OUTPUT_TOKENS N.",
                    "yellow",
                )
