"""The conversation: its messages, the turn being answered, and how many tokens it holds.

A user message joins the history when it is sent; if the answer fails or is interrupted
it is taken back out, so the next request never carries an orphan or a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zorac_repl.tokens import estimate_message_tokens

__all__ = ["Conversation"]


@dataclass
class Conversation:
    """Messages in OpenAI chat form, oldest first.

    Attributes:
        messages: the history, without the system prompt.
        system_prompt: sent first with every request, when not empty.
    """

    system_prompt: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    # The server's exact prompt+completion count and how many messages it covered.
    _exact: tuple[int, int] | None = None

    def for_request(self) -> list[dict[str, str]]:
        """The messages to send: system prompt first, metadata left out."""
        head = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
        return head + [{"role": m["role"], "content": m["content"]} for m in self.messages]

    def add_user(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def rollback_user(self) -> str | None:
        """Take back the unanswered user message; returns its text for the draft."""
        if self.messages and self.messages[-1]["role"] == "user":
            return str(self.messages.pop()["content"])
        return None

    def add_assistant(self, text: str, meta: dict[str, Any],
                      exact_total: int | None = None) -> None:
        """Record a complete answer; ``exact_total`` is the server's prompt+completion count."""
        self.messages.append({"role": "assistant", "content": text, "meta": meta})
        if exact_total is not None:
            self._exact = (exact_total, len(self.messages))

    def clear(self) -> None:
        self.messages.clear()
        self._exact = None

    def token_count(self) -> int:
        """Tokens in the context: exact up to the last answer the server counted, then estimated."""
        if self._exact is not None and self._exact[1] <= len(self.messages):
            exact, covered = self._exact
            return exact + estimate_message_tokens(self.messages[covered:])
        return estimate_message_tokens(self.for_request())
