"""A reasoning model's thinking, told apart from its answer when it arrives as ``<think>`` tags.

With a reasoning parser the server sends the thinking in its own field (``reasoning`` or
``reasoning_content``) and the content is all answer. Without one the thinking comes in
the content, in one of two shapes (wire-protocol §4.3):

- ``<think>…</think>`` at the very start (leading whitespace aside): the text up to
  ``</think>`` is thinking. Any ``<think>`` elsewhere is answer text.
- only ``</think>``: the chat template opened the tag itself (DeepSeek-R1 and its
  distills, QwQ, some Qwen3 templates), so the text before ``</think>`` was thinking.

The second shape cannot be known until ``</think>`` arrives, so text that does not start
with ``<think>`` is *provisional*: it is answer text, shown at once, that may still be
taken back. The rule (``WINDOW``):

- it becomes thinking when ``</think>`` starts within its first 8,192 characters, outside
  a code span or fence (an answer explaining the tags may quote them);
- it is answer for good once it is longer than that without one; as soon as a complete
  line of it is a Markdown heading or a table's delimiter row (structure an answer has
  and thinking does not: thinking is prose, in paragraphs, sometimes with lists or code);
  when the server has sent thinking in a reasoning field (a parser is at work); or when
  the answer ends.

A model that never thinks is not slowed: its text is shown as it comes, only kept out of
scrollback (and, in a pipe, held back) until the rule decides. Either tag may be cut
across chunks at any character: a piece that may be the start of a tag is held until the
next chunk says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import assert_never

__all__ = [
    "WINDOW",
    "AnswerText",
    "Confirmed",
    "Piece",
    "Retracted",
    "SortedText",
    "ThinkSplitter",
    "Thought",
    "split_saved",
]

WINDOW = 8192
# A heading, or a table's delimiter row: lines that thinking does not write.
_ANSWER_LINE = re.compile(r"^ {0,3}(#{1,6}[ \t]\S|\|?[ \t]*:?-{3,}:?[ \t]*\|)", re.M)
_OPEN = "<think>"
_CLOSE = "</think>"


@dataclass(frozen=True, slots=True)
class Thought:
    """Thinking text."""

    text: str


@dataclass(frozen=True, slots=True)
class AnswerText:
    """Answer text; ``provisional`` text may still turn out to be thinking."""

    text: str
    provisional: bool = False


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The provisional text so far is answer after all."""


@dataclass(frozen=True, slots=True)
class Retracted:
    """The provisional text so far was thinking: a ``Thought`` with it follows."""


Piece = Thought | AnswerText | Confirmed | Retracted


def _partial_tag_at_end(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


def _quoted(before: str) -> bool:
    """Whether a tag after ``before`` would sit in a code span or an open code fence."""
    if before.endswith("`"):
        return True
    fences = sum(1 for line in before.split("\n") if line.lstrip().startswith(("```", "~~~")))
    return fences % 2 == 1


class ThinkSplitter:
    """Splits content deltas into thinking and answer pieces (see the module's rule).

    Feed every content delta in order; ``finish`` at the end of the answer.
    """

    def __init__(self, window: int = WINDOW) -> None:
        self._window = window
        self._state = "start"  # start, thinking, provisional, answer-start, answer
        self._pending = ""  # text held until the next chunk tells what it is
        self._shown = ""  # provisional text so far (shown as answer)
        self._checked = 0  # where its lines not yet checked for answer structure begin
        self._steps = {
            "start": self._start,
            "thinking": self._thinking,
            "provisional": self._provisional,
            "answer-start": self._answer_start,
            "answer": self._answer,
        }

    @property
    def phase(self) -> str:
        """What the text fed last was: ``thinking``, ``provisional`` or ``answer``."""
        if self._state in ("thinking", "answer-start"):
            return "thinking"
        return "answer" if self._state == "answer" else "provisional"

    def reasoning_field_seen(self) -> list[Piece]:
        """The server sends thinking in its own field: the content is answer."""
        if self._state in ("start", "provisional"):
            pieces = self._decide_answer()
            self._state = "answer"
            return pieces
        return []

    def feed(self, text: str) -> list[Piece]:
        self._pending += text
        return self._run(final=False)

    def finish(self) -> list[Piece]:
        """The answer ended: what was held is decided now."""
        return self._run(final=True)

    def _run(self, final: bool) -> list[Piece]:
        pieces: list[Piece] = []
        while True:
            before = (self._state, len(self._pending))
            pieces += self._steps[self._state](final)
            if (self._state, len(self._pending)) == before:
                return pieces

    def _start(self, final: bool) -> list[Piece]:
        head = self._pending.lstrip()
        if head.startswith(_OPEN):
            self._pending = head[len(_OPEN) :]
            self._state = "thinking"
            return []
        if not final and _OPEN.startswith(head):
            return []  # whitespace, or a tag still arriving
        self._state = "provisional"
        return []

    def _thinking(self, final: bool) -> list[Piece]:
        text = self._pending
        end = text.find(_CLOSE)
        if end >= 0:
            self._pending = text[end + len(_CLOSE) :]
            self._state = "answer-start"
            return [Thought(text[:end])] if end else []
        keep = 0 if final else _partial_tag_at_end(text, _CLOSE)
        self._pending = text[len(text) - keep :]
        out = text[: len(text) - keep]
        return [Thought(out)] if out else []

    def _provisional(self, final: bool) -> list[Piece]:
        text = self._pending
        seen = self._shown
        whole = seen + text
        end = whole.find(_CLOSE, max(0, len(seen) - len(_CLOSE)))
        while 0 <= end < self._window and _quoted(whole[:end]):
            end = whole.find(_CLOSE, end + 1)
        is_answer = self._looks_like_answer(whole if end < 0 else whole[:end])
        if 0 <= end < self._window and not is_answer:
            self._shown = ""
            self._pending = whole[end + len(_CLOSE) :]
            self._state = "answer-start"
            return [Retracted(), Thought(whole[:end])] if whole[:end] else [Retracted()]
        if final or is_answer or len(whole) > self._window + len(_CLOSE):
            self._pending = ""
            self._shown = whole
            pieces = [AnswerText(text, provisional=True)] if text else []
            self._state = "answer"
            return pieces + self._decide_answer()
        keep = _partial_tag_at_end(text, _CLOSE)
        out = text[: len(text) - keep]
        self._pending = text[len(text) - keep :]
        self._shown += out
        return [AnswerText(out, provisional=True)] if out else []

    def _looks_like_answer(self, text: str) -> bool:
        """Whether a complete line not checked before is answer structure (module's rule)."""
        end = text.rfind("\n")
        if end < self._checked:
            return False
        start = text.rfind("\n", 0, self._checked) + 1
        self._checked = end + 1
        return _ANSWER_LINE.search(text, start, end) is not None

    def _decide_answer(self) -> list[Piece]:
        """The provisional text is answer: say so, and let held text through."""
        pieces: list[Piece] = []
        if self._state == "start":
            return pieces
        if self._shown or self._state == "provisional":
            pieces.append(Confirmed())
        self._shown = ""
        return pieces

    def _answer_start(self, final: bool) -> list[Piece]:
        # The blank line after </think> is not part of the answer.
        text = self._pending.lstrip()
        self._pending = text
        if text:
            self._state = "answer"
        return []

    def _answer(self, final: bool) -> list[Piece]:
        text, self._pending = self._pending, ""
        return [AnswerText(text)] if text else []


class SortedText:
    """Thinking and answer as the pieces decide them; provisional text waits for its verdict.

    The one reading of ``Piece``s: the turn (which also draws them), ``split_saved`` and
    the splitter's tests all follow the pieces through it.

    Attributes:
        thinking: the thinking's pieces.
        answer: the answer's pieces, confirmed.
        provisional: text that may yet turn out to be thinking.
    """

    def __init__(self) -> None:
        self.thinking: list[str] = []
        self.answer: list[str] = []
        self.provisional: list[str] = []

    def add(self, piece: Piece) -> None:
        match piece:
            case Thought(text=text):
                self.thinking.append(text)
            case AnswerText(text=text, provisional=True):
                self.provisional.append(text)
            case AnswerText(text=text):
                self.answer.append(text)
            case Confirmed():
                self.answer += self.provisional
                self.provisional.clear()
            case Retracted():
                self.provisional.clear()
            case _:
                assert_never(piece)

    def answer_so_far(self) -> str:
        """The answer, with the provisional text still undecided."""
        return "".join(self.answer + self.provisional)


def split_saved(content: str) -> tuple[str, str]:
    """An answer saved whole as ``(thinking, answer)``, by the same rule as a stream."""
    splitter, sorted_text = ThinkSplitter(), SortedText()
    for piece in [*splitter.feed(content), *splitter.finish()]:
        sorted_text.add(piece)
    return "".join(sorted_text.thinking).strip(), sorted_text.answer_so_far()
