"""The token budget: how many tokens the conversation may use, and how many it uses now.

The limit is ``MAX_INPUT_TOKENS`` when the user set it, else the server's context length
less the room kept for the answer. Counting is cheap first (a local upper bound), exact
only near the limit (the server's ``/tokenize``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Literal

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import UserMessage, countable
from zorac_repl.errors import ZoracError
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Source
from zorac_repl.tokens import content_text

__all__ = ["Budget", "BudgetOrigin", "BudgetReport", "Counted", "Needed"]

# Below this share of the limit a local count is trusted without asking the server.
_SURE_SHARE = 0.9


# How a token figure was counted: by the server's /tokenize, from its last usage report,
# or locally with the token counter.
Counted = Literal["tokenize", "usage", "local"]


@dataclass(frozen=True, slots=True)
class BudgetOrigin:
    """A budget taken from the server's window.

    Attributes:
        window: the context window the server runs the model with.
        server: the server's name (``llama.cpp b6000``), when known.
        found_in: where it said so (``/props``, ``its overflow error``).
        answer_room: tokens kept for the answer.
    """

    window: int
    server: str
    found_in: str
    answer_room: int


@dataclass(frozen=True, slots=True)
class BudgetReport:
    """The conversation against its budget, as ``/tokens`` shows it.

    Attributes:
        used: tokens the next request's history holds.
        limit: the budget.
        counted: how ``used`` was counted.
        method: the local counter's method (its encoding), for ``local``.
        messages: messages in the history.
        has_system_prompt: a system prompt is sent too.
        has_summary: a summary is sent too.
        source: where ``MAX_INPUT_TOKENS`` comes from (``server`` when from the window).
        origin: the window it was taken from, when from the server.
    """

    used: int
    limit: int
    counted: Counted
    method: str
    messages: int
    has_system_prompt: bool
    has_summary: bool
    source: Source
    origin: BudgetOrigin | None


@dataclass(frozen=True, slots=True)
class Needed:
    """What the next request would need, over the budget.

    Attributes:
        tokens: the whole prompt with the new message.
        exact: counted by the server itself (vLLM ``/tokenize``), not estimated here.
        message: the new message's own share (counted here).
    """

    tokens: int
    exact: bool
    message: int


class Budget:
    """The conversation's token budget.

    Args:
        settings: the live settings; ``MAX_INPUT_TOKENS`` is shown as this budget.
        link: the server, for its context length and exact counts.
        conversation: what is counted.
    """

    def __init__(
        self, settings: LiveSettings, link: ServerLink, conversation: Conversation
    ) -> None:
        self._settings = settings
        self._link = link
        self._conversation = conversation

    @property
    def limit(self) -> int:
        """``MAX_INPUT_TOKENS``, or the server's context less the output room when unset."""
        settings = self._settings.current
        window = self._link.max_model_len
        if self.source == "server" and window is not None:
            return max(1, window - self._answer_room(window))
        return settings.max_input_tokens

    def _answer_room(self, window: int) -> int:
        """Room kept for the answer: ``MAX_OUTPUT_TOKENS``, or a quarter of a window that
        it would mostly fill (Ollama's 4096, say), so the conversation still fits."""
        wanted = self._settings.current.max_output_tokens
        return wanted if wanted <= window // 2 else window // 4

    def origin(self) -> BudgetOrigin | None:
        """Where a budget from the server comes from; ``None`` for a budget the user set."""
        window = self._link.max_model_len
        if self.source != "server" or window is None:
            return None
        server = self._link.server
        return BudgetOrigin(
            window,
            server.name if server else "",
            server.source if server else "",
            self._answer_room(window),
        )

    @property
    def source(self) -> Source:
        source = self._settings.current.source_of("MAX_INPUT_TOKENS")
        if source == "default" and self._link.max_model_len is not None:
            return "server"
        return source

    async def load_counter(self) -> None:
        # Off the event loop: the first load parses the encoding (a fifth of a second).
        await asyncio.to_thread(self._conversation.counter.load)

    async def exact_prompt_tokens(self, messages: list[dict[str, Any]]) -> int | None:
        """The server's count for ``messages`` (vLLM ``/tokenize``), when it offers one."""
        model = self._settings.current.model
        if not model:
            return None
        return await self._link.client.count_prompt_tokens(messages, model)

    async def needed_if_over(self, message: UserMessage) -> Needed | None:
        """The tokens the next request would need when ``message`` does not fit, else ``None``.

        A message that fits by a wide margin is never counted exactly: a huge paste
        under the budget costs no tokenizing at all. An image counts as the tiles a
        vision model makes of it; a request with images is counted here, never by the
        server (``/tokenize`` would take the images' bytes again).
        """
        conversation = self._conversation
        limit = self.limit
        wire, image_tokens = countable(message)
        text = content_text(wire["content"])
        if not conversation.messages and not conversation.summary:
            # A first message (one-shot's usual case): bytes bound it without the encoding.
            bound = conversation.counter.upper_bound(conversation.effective_system_prompt)
            if bound + conversation.counter.upper_bound(text) + image_tokens < limit * _SURE_SHARE:
                return None
        await self.load_counter()
        known = conversation.token_count()
        if known + conversation.counter.upper_bound(text) + image_tokens < limit * _SURE_SHARE:
            return None
        own = conversation.counter.count_message(text) + image_tokens
        local = known + own
        if local < limit * _SURE_SHARE:
            return None
        exact = None
        if not image_tokens and not conversation.image_count():
            pending = [*conversation.for_request(), wire]
            exact = await self.exact_prompt_tokens(pending)
        needed = exact if exact is not None else local
        if needed <= limit:
            return None
        return Needed(needed, exact is not None, own)

    async def report(self) -> BudgetReport:
        """What ``/tokens`` shows: use, limit, how it was counted and where the limit is from."""
        await self.load_counter()
        conversation = self._conversation
        try:
            exact = await self.exact_prompt_tokens(conversation.for_request())
        except ZoracError:
            exact = None
        counted: Counted
        if exact is not None:
            used, counted = exact, "tokenize"
            conversation.note_exact(exact)
        elif conversation.is_exact:
            used, counted = conversation.token_count(), "usage"
        else:
            used, counted = conversation.token_count(), "local"
        return BudgetReport(
            used=used,
            limit=self.limit,
            counted=counted,
            method=conversation.counter.method,
            messages=len(conversation.messages),
            has_system_prompt=bool(conversation.effective_system_prompt),
            has_summary=bool(conversation.summary),
            source=self.source,
            origin=self.origin(),
        )
