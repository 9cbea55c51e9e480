"""A reasoning model's thinking while it arrives, as the ``REASONING`` setting wants it.

- ``fold``: the last ``FOLD_ROWS`` rows of the thinking, dimmed, under a header; when the
  answer begins the area gives way to one line (``Thought for 4.1s (312 tokens)``).
- ``show``: the whole thinking goes to scrollback, dimmed, exactly as the answer does
  (finished blocks once, the open block live), then the same line.
- ``hide``: the header only, then the line.

The thinking is Markdown like the answer, drawn by the same ``MarkdownStream``, so its
cost per token does not grow with its length; in ``fold`` the rows it would have put in
scrollback are kept only as far as the area shows them.
"""

from __future__ import annotations

import collections
from collections.abc import Callable

from rich.console import Console

from zorac_repl.render.markdown_stream import MarkdownStream
from zorac_repl.settings.values import ReasoningMode
from zorac_repl.stats import StreamStats, format_thought

__all__ = ["FOLD_ROWS", "ThoughtArea"]

FOLD_ROWS = 6


class ThoughtArea:
    """The thinking's rows, to commit once and to show live.

    Args:
        console: renders at its width and colour system.
        code_theme: the Pygments style for code blocks in the thinking.
        mode: fold, show or hide (see the module's note).
        max_rows: the rows the live region may give the thinking now.
    """

    def __init__(
        self, console: Console, code_theme: str, mode: ReasoningMode, max_rows: Callable[[], int]
    ) -> None:
        self.mode = mode
        limit = max_rows if mode == "show" else (lambda: max(1, min(FOLD_ROWS, max_rows())))
        self._limit = limit
        self._stream = MarkdownStream(console, code_theme, limit, dim=True)
        self._recent: collections.deque[str] = collections.deque(maxlen=FOLD_ROWS)
        self._live: list[str] = []
        self._is_dirty = False
        self.characters = 0

    def feed(self, text: str) -> None:
        self.characters += len(text)
        if self.mode != "hide":
            self._stream.feed(text)
            self._is_dirty = True

    def update(self, width: int | None) -> tuple[list[str], list[str]]:
        """Rows for scrollback (``show`` only), and the rows to show live."""
        committed: list[str] = []
        if self._is_dirty:
            committed, self._live = self._stream.update(width)
            self._is_dirty = False
        if self.mode == "show":
            return committed, list(self._live)
        self._recent.extend(committed)
        rows = [*self._recent, *self._live]
        return [], rows[-self._limit() :] if rows else []

    def finish(self, width: int | None) -> list[str]:
        """The thinking ended: in ``show``, its remaining rows for scrollback."""
        if self.mode != "show":
            return []
        return self._stream.finish(width)

    def folded_line(self, stats: StreamStats, hint: str = "") -> str:
        """``Thought for 4.1s (312 tokens)``, with ``hint`` unless it was all shown."""
        # A whole answer at once (not streamed) tells neither its thinking time nor,
        # unless the server counts it, its thinking tokens.
        streamed = stats.deltas > 1
        tokens = stats.reasoning_tokens
        if tokens is None:
            tokens = stats.thinking_deltas if streamed else (self.characters + 3) // 4
        seconds = stats.thinking_seconds() if streamed else None
        return format_thought(seconds, tokens) + ("" if self.mode == "show" else hint)
