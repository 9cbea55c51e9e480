"""Making room for a message: the budget's check before sending, summaries, and advice.

A message is sent only when the conversation fits the budget, summarizing older messages
first when it would not (all or nothing: a summary that fails or is cancelled removes
nothing). A message that no summary can make room for (larger than the budget by itself
with its attachments, or over the window by the server's own count) is refused before it
is sent, with the figures and what would help; the draft and what is staged stay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from zorac_repl.attachments.staged import Staged, short_count
from zorac_repl.chat.budget import Budget
from zorac_repl.chat.runner import Runner
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import Message, UserMessage, countable
from zorac_repl.errors import ContextOverflow, ZoracError
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.tokens import content_text

__all__ = ["Room"]


class Room:
    """Room in the budget for the next message.

    Args:
        settings: the live settings (``KEEP_RECENT_MESSAGES``).
        link: the server: its client for summaries, its window.
        budget: the conversation's budget.
        conversation: what is summarized.
        printer: what the work says while it runs.
        runner: runs a summary so that Ctrl+C stops it.
        staged: what is staged, for the advice to name the largest attachment.
        save: saves the conversation after a summary.
    """

    def __init__(
        self,
        settings: LiveSettings,
        link: ServerLink,
        budget: Budget,
        conversation: Conversation,
        printer: Printer,
        runner: Runner,
        staged: Staged,
        save: Callable[[], None],
    ) -> None:
        self._settings = settings
        self._link = link
        self._budget = budget
        self._conversation = conversation
        self._printer = printer
        self._runner = runner
        self._staged = staged
        self._save = save

    def tokens_of(self, message: Message) -> int:
        """The tokens ``message`` adds, counted here: its text, files and images' tiles."""
        wire, images = countable(message)
        return self._conversation.counter.count_message(content_text(wire["content"])) + images

    def advice(self, message_tokens: int, window: int) -> str:
        """What will make room for a message of ``message_tokens``, from the figures: a
        shorter message when it alone nearly fills ``window``, else what frees the most."""
        if message_tokens > window * 0.8:
            if len(self._staged):
                largest = max(self._staged, key=self._staged.tokens_of)
                number = list(self._staged).index(largest) + 1
                return (
                    f"The message alone is ~{message_tokens} tokens, with what is staged: "
                    f"/detach {number} drops the largest ({largest.name}, "
                    f"~{short_count(self._staged.tokens_of(largest))} tokens), or attach a "
                    "part of it."
                )
            return (
                f"The message alone is ~{message_tokens} tokens: send a shorter one, or a "
                "part of it."
            )
        if self.summarizable():
            return "/summarize makes room (older messages become a summary), then send it again."
        if self._conversation.exchanges_at_end():
            return (
                "/undo drops the last exchange, or /clear starts afresh (the old one stays "
                "in the log)."
            )
        return "Send a shorter message."

    def summarizable(self) -> int:
        """How many older messages ``/summarize`` would replace now (0: none)."""
        from zorac_repl.chat.summarize import older_message_count

        return older_message_count(self._conversation, self._settings.current.keep_recent_messages)

    async def summarize(self) -> str | ZoracError | None:
        """Summarize with a cancellable spinner.

        Returns the outcome line; the error when it failed, or ``None`` when it was
        cancelled (either already told).
        """
        from zorac_repl.chat.summarize import summarize, summary_token_limit

        keep = self._settings.current.keep_recent_messages
        label = f"Summarizing {self.summarizable()} older messages… (Ctrl+C cancels)"
        say = self._printer.say
        try:
            result = await self._runner.run(
                summarize(
                    self._link.client,
                    self._conversation,
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
            return exc
        if result is None:
            return "Nothing to summarize."
        self._save()
        return (
            f"Summarized {result.replaced} older messages: ~{result.before} → "
            f"~{result.after} tokens. /summary shows the summary."
        )

    async def fit(self, message: UserMessage) -> bool | ZoracError:
        """Make room for ``message`` by summarizing if the next request would not fit.

        Returns True when it can be sent. Otherwise the message must wait (all told, and
        nothing lost): False when the summary was cancelled; its error when it failed; a
        ``ContextOverflow`` when no summary can make room for it.
        """
        over = await self._budget.needed_if_over(message)
        if over is None:
            return True
        needed = over.tokens
        conversation, limit, say = self._conversation, self._budget.limit, self._printer.say
        window = self._link.max_model_len
        if message.attachments and over.message > limit:
            # No summary makes room for a message larger than the budget by itself.
            size = f"the budget of {limit}" + (f" (window {window})" if window else "")
            line = (
                f"This message with its attachments is ~{over.message} tokens, more than "
                f"{size}; it was not sent: the draft and what is staged stay. "
                f"{self.advice(over.message, limit)}"
            )
            say(line, "red")
            return ContextOverflow(line, None, window, over.message)
        if over.exact and window is not None and needed > window:
            # The server counted it: it would refuse it. Uploading it would only cost time.
            line = (
                f"This message makes the prompt {needed} tokens (counted by the server), "
                f"more than the model's window of {window}; it was not sent and is back in "
                f"the input. {self.advice(over.message, window)}"
            )
            say(line, "red")
            return ContextOverflow(line, None, window, needed)
        if self.summarizable() == 0:
            say(
                f"This message makes the conversation ~{needed} tokens, over the budget of "
                f"{limit}, and there is nothing old enough to summarize. Sending it anyway; "
                f"if the server refuses: {self.advice(over.message, window or limit)}",
                "yellow",
            )
            return True
        say(
            f"The conversation would be ~{needed} tokens, over the budget of {limit}; "
            "summarizing older messages first.",
            "dim",
        )
        outcome = await self.summarize()
        if not isinstance(outcome, str):
            say(
                "Your message was not sent; it is back in the input. Try /summarize again, "
                "/clear to start fresh, or raise MAX_INPUT_TOKENS.",
                "yellow",
            )
            return outcome or False
        after = conversation.token_count() + self.tokens_of(message)
        say(outcome, "dim")
        if after > limit:
            recent = sum(map(self.tokens_of, conversation.messages))
            say(
                f"Still ~{after} tokens after summarizing, over the budget of {limit}: the "
                f"last {len(conversation.messages)} messages alone are ~{recent}. Sending "
                "anyway; lower KEEP_RECENT_MESSAGES, or /clear if the server refuses.",
                "yellow",
            )
        return True
