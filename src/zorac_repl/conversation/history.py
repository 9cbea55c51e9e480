"""The conversation: its messages, an optional summary of older ones, and their token count.

A user message joins the history when it is sent; if the answer fails or is interrupted
it is taken back out, so the next request never carries an orphan or a duplicate.
The default system prompt is not part of the saved conversation: it comes from the
settings on every request, so a new default reaches old sessions. One set for this
conversation (``/system``) is its own, and is saved with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from zorac_repl.conversation.loading import FORMAT_VERSION, ShapeError, checked
from zorac_repl.conversation.message import (
    AnswerMeta,
    AssistantMessage,
    Message,
    ToolMessage,
    UserMessage,
    WireMessage,
    countable,
    to_json,
    to_wire,
)
from zorac_repl.conversation.tool_calls import ToolCall
from zorac_repl.tokens import TokenCounter, estimate_message_tokens

__all__ = ["FORMAT_VERSION", "Conversation", "ShapeError"]

_log = logging.getLogger(__name__)

SUMMARY_HEADER = "Summary of the earlier conversation:\n"


@dataclass
class Conversation:
    """Messages in OpenAI chat form, oldest first.

    Attributes:
        system_prompt: the default, from the settings; never saved.
        own_system_prompt: this conversation's own (``/system``), saved with it; it
            replaces the default when set.
        summary: what the model wrote about messages that were summarized away.
        messages: user and assistant messages; an answer's ``meta`` holds the thinking of
            a reasoning model (never sent back).
        counter: counts tokens locally when the server has not.
        images_sent: how many of the newest images a request carries; older ones go as a
            short text marker (servers cap the images in one request, and count every
            image of the re-sent history against it: wire-protocol §14.4).
    """

    system_prompt: str = ""
    own_system_prompt: str | None = None
    profile: str | None = None  # the server profile it was last saved under
    summary: str | None = None
    messages: list[Message] = field(default_factory=list)
    counter: TokenCounter = field(default_factory=TokenCounter, repr=False)
    images_sent: int = 4
    log_id: int | None = None  # this conversation in the log (log/store.py), once logged
    # The server's exact prompt+completion count and how many messages it covered.
    _exact: tuple[int, int] | None = None
    # The count when last saved; shown until the encoding has loaded (a fifth of a second).
    _saved_count: int | None = None
    # Each message's own count, by its identity (messages are frozen): the toolbar asks on
    # every redraw, and recounting 2,000 messages made each keystroke take 0.6 s.
    _counts: dict[int, tuple[Message, int]] = field(default_factory=dict, repr=False, compare=False)
    _counted_by: tuple[TokenCounter, bool] | None = field(default=None, repr=False, compare=False)

    def for_request(self) -> list[WireMessage]:
        """The messages to send: system prompt, summary, then history, metadata left out;
        only the newest ``images_sent`` images are sent as images."""
        room = self.images_sent
        wire: list[WireMessage] = []
        for message in reversed(self.messages):
            images = len(message.images) if isinstance(message, UserMessage) else 0
            sent = bool(images) and images <= room
            room -= images if sent else 0
            try:
                wire.append(to_wire(message, images=sent))
            except OSError as exc:
                # Its file beside the session is gone: the model reads that it was there.
                _log.warning("an image of the conversation could not be read: %s", exc)
                wire.append(to_wire(message, images=False))
        return self.for_request_head() + wire[::-1]

    def image_count(self) -> int:
        """Images in the conversation, sent or not."""
        return sum(
            len(message.images) for message in self.messages if isinstance(message, UserMessage)
        )

    @property
    def effective_system_prompt(self) -> str:
        return (
            self.own_system_prompt if self.own_system_prompt is not None else (self.system_prompt)
        )

    def set_own_system_prompt(self, text: str | None) -> None:
        """This conversation's own system prompt; ``None`` goes back to the default."""
        if text != self.own_system_prompt:
            self.own_system_prompt = text
            self._exact = self._saved_count = None

    def add_user(self, message: str | UserMessage) -> None:
        self.messages.append(UserMessage(message) if isinstance(message, str) else message)
        self._saved_count = None

    def rollback_user(self) -> str | None:
        """Take back the unanswered user message, and the tool rounds after it; returns
        its text for the draft (its attachments are still staged: the chat core keeps
        them until it is answered). The history is never left with a call that has no
        result."""
        index = len(self.messages) - 1
        while index >= 0 and _in_tool_round(self.messages[index]):
            index -= 1
        if index >= 0 and isinstance(self.messages[index], UserMessage):
            text = self.messages[index].text
            del self.messages[index:]
            self._exact = self._saved_count = None
            return text
        return None

    def add_assistant(
        self,
        text: str,
        meta: AnswerMeta,
        exact: tuple[int, bool] | None = None,
        tool_calls: tuple[ToolCall, ...] = (),
    ) -> None:
        """Record a complete answer, or a round's answer that calls tools (their results
        follow with ``add_tool_result``).

        ``exact`` is the server's count of the context, and whether it covers the answer
        too (it covers only the prompt when the answer's thinking could not be told apart).
        """
        self.messages.append(AssistantMessage(text, meta, tool_calls))
        self._saved_count = None
        if exact is not None:
            total, with_answer = exact
            self._exact = (total, len(self.messages) - (0 if with_answer else 1))

    def add_tool_result(self, result: ToolMessage) -> None:
        self.messages.append(result)
        self._saved_count = None

    def last_answer(self) -> str | None:
        """The last answer's text, if there is one."""
        answers = self.answers()
        return answers[-1].content if answers else None

    def answers(self) -> list[AssistantMessage]:
        """The final answers, oldest first (not a round's answer that only calls tools)."""
        return [
            message
            for message in self.messages
            if isinstance(message, AssistantMessage) and not message.tool_calls
        ]

    def _exchange_starts(self) -> list[int]:
        """Where each whole exchange at the end begins, the last first. An exchange is a
        user message, any rounds of tool calls and their results, and the final answer."""
        starts, end, messages = [], len(self.messages) - 1, self.messages
        while end >= 1:
            last = messages[end]
            if not isinstance(last, AssistantMessage) or last.tool_calls:
                break
            index = end - 1
            while index >= 0 and _in_tool_round(messages[index]):
                index -= 1
            if index < 0 or not isinstance(messages[index], UserMessage):
                break
            starts.append(index)
            end = index - 1
        return starts

    def exchanges_at_end(self) -> int:
        """How many whole exchanges (a message, its tool rounds and its answer) end the
        history."""
        return len(self._exchange_starts())

    def last_exchange_start(self) -> int | None:
        """Where the last whole exchange begins: its user message."""
        starts = self._exchange_starts()
        return starts[0] if starts else None

    def remove_exchanges(self, count: int) -> list[Message]:
        """Take the last ``count`` exchanges out, tool rounds and all (never the summary);
        returns their messages."""
        starts = self._exchange_starts()
        if not 0 < count <= len(starts):
            raise ValueError(f"cannot remove {count} exchanges")
        start = starts[count - 1]
        removed = self.messages[start:]
        del self.messages[start:]
        self._exact = self._saved_count = None
        return removed

    def put_back(self, messages: Sequence[Message]) -> None:
        """Restore exchanges ``remove_exchanges`` took out (a replacement that failed)."""
        self.messages.extend(messages)
        self._exact = self._saved_count = None

    def clear(self) -> None:
        self.messages.clear()
        self.summary = self.own_system_prompt = None
        self.log_id = None  # a new conversation; the old one stays in the log
        self._exact = self._saved_count = None

    def adopt(self, other: Conversation) -> None:
        """Take ``other``'s history (a loaded session) in place of this one's.

        The object stays the same, so every part holding it sees the new history.
        """
        self.messages, self.summary = other.messages, other.summary
        self.own_system_prompt, self.profile = other.own_system_prompt, other.profile
        self.log_id = other.log_id
        self._exact, self._saved_count = other._exact, other._saved_count

    def replace_older(self, count: int, summary: str) -> None:
        """Replace the first ``count`` messages (and any earlier summary) with ``summary``."""
        del self.messages[:count]
        self.summary = summary
        self._exact = self._saved_count = None

    def set_system_prompt(self, text: str) -> None:
        if text != self.system_prompt:
            self.system_prompt = text
            self._exact = self._saved_count = None

    def token_count(self) -> int:
        """Tokens in the context: exact up to the last answer the server counted, then local.

        Never waits for the encoding to load: until it has, the figure is the count saved
        with the session or the four-characters-a-token estimate.
        """
        if not self.counter.ready and not self.is_exact:
            if self._saved_count is not None:
                return self._saved_count
            counted = [countable(message) for message in self.messages]
            return estimate_message_tokens(
                self.for_request_head() + [text for text, _ in counted]
            ) + sum(images for _, images in counted)
        if self._exact is not None and self._exact[1] <= len(self.messages):
            exact, covered = self._exact
            if covered == len(self.messages):
                return exact
            return exact + self.counter.count_messages([]) + self._count(covered)
        return self.counter.count_messages(self.for_request_head()) + self._count(0)

    def for_request_head(self) -> list[WireMessage]:
        """What is sent before the messages: the system prompt and the summary."""
        prompt = self.effective_system_prompt
        head: list[WireMessage] = [{"role": "system", "content": prompt}] if prompt else []
        if self.summary:
            head.append({"role": "system", "content": SUMMARY_HEADER + self.summary})
        return head

    def _count(self, start: int) -> int:
        """The tokens of ``messages[start:]``, each counted once and kept."""
        counter = self.counter
        by = (counter, counter.is_estimate)
        if (
            self._counted_by is None
            or self._counted_by[0] is not by[0]
            or self._counted_by[1] != by[1]
        ):
            self._counts.clear()
            self._counted_by = by
        counts, total = self._counts, 0
        for message in self.messages[start:]:
            known = counts.get(id(message))
            if known is None or known[0] is not message:
                text, images = countable(message)
                known = (
                    message,
                    counter.count_messages([text]) - counter.count_messages([]) + images,
                )
                counts[id(message)] = known
            total += known[1]
        if len(counts) > 2 * len(self.messages) + 16:
            present = {id(message) for message in self.messages}
            for key in [key for key in counts if key not in present]:
                del counts[key]
        return total

    def note_exact(self, total: int) -> None:
        """The server counted the whole prompt as it stands (``/tokenize``): the figure
        shown everywhere is that one, so the toolbar and ``/tokens`` agree."""
        self._exact = (total, len(self.messages))

    @property
    def is_exact(self) -> bool:
        """True when ``token_count`` is entirely the server's own figure."""
        return self._exact is not None and self._exact[1] == len(self.messages)

    def to_json(self) -> dict[str, object]:
        """The saved form: versioned, without the default system prompt."""
        data: dict[str, object] = {
            "version": FORMAT_VERSION,
            "summary": self.summary,
            "messages": [to_json(message) for message in self.messages],
            "token_count": self.token_count(),
        }
        if self.own_system_prompt is not None:
            data["system_prompt"] = self.own_system_prompt
        if self.profile is not None:
            data["profile"] = self.profile
        if self._exact is not None:
            data["exact_tokens"] = {"total": self._exact[0], "messages": self._exact[1]}
        return data

    def load_json(self, data: object, load_image: Callable[[str], bytes] | None = None) -> None:
        """Replace the contents with saved ``data``; ``load_image`` reads an image's bytes
        by its digest, when it is sent.

        Raises:
            ShapeError: ``data`` is not a conversation this version can read; nothing changes.
        """
        messages, summary, exact = checked(data, load_image)
        self.messages, self.summary, self._exact = messages, summary, exact
        own = data.get("system_prompt") if isinstance(data, Mapping) else None
        self.own_system_prompt = own if isinstance(own, str) else None
        profile = data.get("profile") if isinstance(data, Mapping) else None
        self.profile = profile if isinstance(profile, str) else None
        count = data.get("token_count") if isinstance(data, Mapping) else None
        self._saved_count = count if isinstance(count, int) and count >= 0 else None


def _in_tool_round(message: Message) -> bool:
    """Part of a round of tool use: an answer that calls tools, or a tool's result."""
    return isinstance(message, ToolMessage) or (
        isinstance(message, AssistantMessage) and bool(message.tool_calls)
    )
