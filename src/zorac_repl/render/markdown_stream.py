"""Streaming Markdown: finished blocks are rendered once; only the open block is redrawn.

The text so far is cut into top-level blocks by the same parser Rich uses. A block is
finished once a following block has begun on a complete line: CommonMark never reopens a
block that a sibling has followed, so its rows are final and are handed out once to be
printed above the live region. Only the last, open block is parsed and rendered again on
each frame, so the cost per frame does not grow with the length of the answer.

Rich decides the blank row before a block from the last element it closed: a leaf block
(paragraph, heading, code, rule, HTML) gets one unless the previous block was a horizontal
rule, while a container (list, quote, table) gets one from its own inner elements, even
when rendered alone. The stream adds the leaf separators itself, so the rows it hands out,
joined, equal ``render_lines(console, whole_text)``.

When the open block alone is taller than the live region allows, its top rows are handed
out early where more text cannot change them, less their last row (the next text may
still flow into it):

- a code fence or indented code: the rows of its complete lines;
- a bullet list or a quote: the rows of the items or inner blocks that a later one has
  closed (emphasis and links never span two of them).

Everything else stays live whole, because later text can rewrite rows already drawn: a
paragraph's ``**`` or backtick may close lines later and change every row after it, a
``---`` under a paragraph turns it into a heading, a table's columns and a numbered list's
numbers widen as they grow. Such a block taller than the live region shows its bottom
rows live, and the whole block goes to scrollback once it is finished, exactly as a
one-shot render. Either way no row on screen or in scrollback is ever wrong, duplicated
or lost. One thing streaming cannot match: a reference link whose definition (``[x]: url``)
comes after the block that uses it was finished; that use stays the literal ``[x]``.

An open block past ``BIG_OPEN`` characters (a megabyte on one line, a paragraph without
end) is not parsed and rendered whole on every frame, which made a long line quadratic:
its live rows are a preview of its end, rendered from just enough of its last characters,
and the text is parsed again only when a line has ended and the text has grown by a
quarter since the last parse. Rows in scrollback are still the one-shot render.

A resize changes the width every later block is rendered at. The open block is the
exception once some of its rows were handed out: it keeps the width those rows had
until it finishes, so the rest of it continues them exactly (if the terminal is now
narrower, its rows wrap on screen as any wide line does, and the live limit shrinks to
match). Finished blocks in scrollback are never redrawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from rich.console import Console

from zorac_repl.render.markdown import render_lines
from zorac_repl.render.markdown_parser import markdown_parser
from zorac_repl.render.safe_text import visible_controls

__all__ = ["MarkdownStream"]

# Past this many characters the open block's live rows are a preview of its end.
BIG_OPEN = 32_768
# ... and it is parsed again only once it has grown by this factor (amortized linear).
_REPARSE_GROWTH = 1.25

# Blocks whose top rows can be final before they end (see the module's note): by their
# complete lines, or by their closed items and inner blocks.
_LINE_SETTLED_BLOCKS = frozenset({"code_block", "html_block"})
_CHILD_SETTLED_BLOCKS = frozenset({"bullet_list_open", "blockquote_open"})
_LEAF_BLOCKS = frozenset(
    {"paragraph_open", "heading_open", "fence", "code_block", "hr", "html_block"}
)


class MarkdownStream:
    """Turns streamed Markdown into rows to commit once and rows to show live.

    Args:
        console: renders at its width and colour system.
        code_theme: the Pygments style for code blocks.
        max_live_rows: how many rows the live region may have now (the screen minus the
            toolbar); asked on every update, so a resize takes effect at once.
        dim: draw every row dimmed (a reasoning model's thinking).
    """

    def __init__(
        self,
        console: Console,
        code_theme: str = "monokai",
        max_live_rows: Callable[[], int] = lambda: 1_000_000,
        dim: bool = False,
    ) -> None:
        self._console = console
        self._dim = dim
        self._code_theme = code_theme
        self._max_live_rows = max_live_rows
        self._parser = markdown_parser()
        self._tail = ""  # the text from the start of the open block on
        # Text fed since the last update: joined onto the tail once a frame, not once a
        # token (``str +=`` on an attribute copies the whole tail every time).
        self._fed: list[str] = []
        self._fed_length = 0
        self._blocks_done = 0
        self._fences_done = 0  # fenced code blocks in finished blocks: the next is +1
        self._previous_new_line = False  # whether a blank row follows the last finished block
        self._rows_out = 0  # rows of the open block already handed out
        self._open_kind = ""  # the token type of the open block
        self._open_children: list[int] = []  # where the open block's items start in the tail
        self._fence_lines_out = 0  # code lines of an open fence already handed out
        self._pinned_width: int | None = None  # the width of rows handed out early
        self._frame_width: int | None = None  # the terminal's width for this update
        # How many live rows the last update gave when they were the open blocks' top rows
        # (None: they were a tall block's bottom, or a window of an open fence).
        self._live_top_rows: int | None = None
        self._held: _HeldBlocks | None = None  # finished blocks kept live (see ``hold``)
        self._released: list[str] = []  # held rows let go by ``hand_out``, to commit
        self._parsed_length = -1  # len(self._tail) at the last parse (-1: none yet)

    def feed(self, text: str) -> None:
        """Add streamed text (control characters are made visible here)."""
        self._fed.append(visible_controls(text))
        self._fed_length += len(text)

    @property
    def is_big(self) -> bool:
        """The open text is past ``BIG_OPEN``: its last render takes long."""
        return len(self._tail) + self._fed_length > BIG_OPEN

    def _absorb(self) -> None:
        """Join the text fed since the last update onto the tail."""
        if self._fed:
            self._tail += "".join(self._fed)
            self._fed.clear()
            self._fed_length = 0

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(self) -> None:
        """Keep finished blocks live (redrawn at each width) until ``release``: for text
        that may be taken back. Once they outgrow the live region the hold ends by itself
        (``holding`` turns false): rows that scroll away cannot be taken back."""
        self._held = _HeldBlocks(self._fences_done + 1)

    def release(self, width: int | None = None) -> list[str]:
        """Stop holding: the held rows, at ``width``, to print once now."""
        held, self._held = self._held, None
        return (
            held.rows_at(width or self._frame_width or self._console.width, self._render_held)
            if held
            else []
        )

    def update(self, width: int | None = None) -> tuple[list[str], list[str]]:
        """Finish what can be finished, rendering at ``width`` (default: the console's).

        One width for the whole update: the terminal may be resized while it runs.

        Returns:
            The rows to print above the live region (once), and the open block's live rows.
        """
        self._frame_width = width
        self._absorb()
        parse = self._worth_parsing()
        rows = self._released + (self._take_finished_blocks(final=False) if parse else [])
        self._released = []
        limit = max(1, self._max_live_rows())
        width = width or self._console.width
        if len(self._tail) > BIG_OPEN and self._open_kind != "fence":
            if self._held is not None:
                rows += self.release(width)  # far taller than the live region: let go
            self._live_top_rows = None
            return rows, self._preview(limit)
        if self._held is not None:
            live = self._held.rows_at(width, self._render_held) + self._render_open()
            if len(live) <= limit:
                self._live_top_rows = len(live)
                return rows, live
            # Taller than the live region: what scrolls away has been read as the answer.
            rows += self.release(width)
            self._live_top_rows = None
        if self._pinned_width is not None and self._pinned_width > width:
            # Each row of the pinned block wraps onto this many screen rows now.
            limit = max(1, limit // math.ceil(self._pinned_width / max(1, width)))
        self._live_top_rows = None
        if self._open_kind == "fence":
            early, live = self._update_open_fence(limit)
            return rows + early, live
        open_rows = self._render_open()
        if len(open_rows) - self._rows_out > limit:
            cut = min(len(open_rows) - limit, self._settled_rows())
            if cut > self._rows_out:
                rows += open_rows[self._rows_out : cut]
                self._rows_out = cut
                self._pin()
        live = open_rows[self._rows_out :]
        if len(live) > limit:
            # Rows that may still change and do not fit: show the bottom; the block goes
            # to scrollback whole once it is finished.
            live = live[-limit:]
        else:
            self._live_top_rows = len(live)
        return rows, live

    def _worth_parsing(self) -> bool:
        """Whether parsing the tail again can finish a block: only if a line has ended
        since the last parse (a block finishes when a later one begins on a complete
        line) and, for a big tail, once it has grown enough to keep the cost linear."""
        tail, parsed = self._tail, self._parsed_length
        if parsed < 0 or parsed > len(tail):
            return True
        if tail.find("\n", parsed) == -1:
            return False
        return len(tail) <= BIG_OPEN or len(tail) >= parsed * _REPARSE_GROWTH

    def _preview(self, limit: int) -> list[str]:
        """The live rows of a big open block: its end, from just enough of its text."""
        width = self._pinned_width or self._frame_width or self._console.width
        end = self._tail[-2 * (limit + 1) * max(width, 20) :]
        return self._render(end, numbered=False)[-limit:]

    def hand_out(self, rows: int) -> bool:
        """The top ``rows`` of the last live rows went to scrollback: never give them again.

        A terminal that re-wraps the live region taller than the screen at a resize
        pushes its top rows out of reach. The rest of the open blocks keeps those rows'
        width, as after rows committed early. ``False`` when the last live rows were not
        the open blocks' top (a tall block's bottom, a fence's window): nothing changes.
        """
        if self._live_top_rows is None or not 0 < rows <= self._live_top_rows:
            return False
        if self._held is not None:
            # Held rows in scrollback cannot be taken back: they are handed out after all.
            held = self.release()
            self._released = held[rows:]
            rows -= min(rows, len(held))
            if rows == 0:
                self._live_top_rows = None
                return True
        self._rows_out += rows
        self._live_top_rows = None
        self._pin()
        return True

    def finish(self, width: int | None = None) -> list[str]:
        """The stream has ended: every remaining row, to print once (at ``width``)."""
        self._frame_width = width
        self._absorb()
        rows = self._released + self.release(width)
        self._released = []
        return rows + self._take_finished_blocks(final=True)

    def _take_finished_blocks(self, final: bool) -> list[str]:
        tail = self._tail
        tokens = self._parser.parse(tail)
        self._parsed_length = -1 if final else len(tail)
        starts = [t.map[0] for t in tokens if t.level == 0 and t.nesting >= 0 and t.map]
        kinds = [t.type for t in tokens if t.level == 0 and t.nesting >= 0 and t.map]
        children = [t.map[0] for t in tokens if t.level == 1 and t.nesting >= 0 and t.map]
        fences = [t.map[0] for t in tokens if t.type == "fence" and t.map]
        if not starts:
            if final:
                self._tail = ""
            return []
        complete_lines = tail.count("\n")
        line_offsets = _line_offsets(tail)
        rows: list[str] = []
        cut_line = 0
        self._open_kind = ""
        for index, kind in enumerate(kinds):
            is_last = index == len(kinds) - 1
            end_line = len(line_offsets) - 1 if is_last else starts[index + 1]
            if not final and (is_last or end_line >= complete_lines):
                self._open_kind = kind
                self._open_children = [
                    line_offsets[line] - line_offsets[cut_line]
                    for line in children
                    if line >= cut_line
                ]
                break
            source = (
                tail[line_offsets[cut_line] : line_offsets[end_line]]
                if not is_last
                else (tail[line_offsets[cut_line] :])
            )
            rendered = self._with_separator(self._render(source), kind)
            self._fences_done += sum(1 for line in fences if cut_line <= line < end_line)
            if self._held is not None:
                self._held.add(source, rendered)
            # Rows handed out early came from the open region's render, which may span
            # this block and the start of the next: skip them across blocks.
            else:
                rows += rendered[self._rows_out :]
            self._rows_out = max(0, self._rows_out - len(rendered))
            if self._rows_out == 0:
                self._pinned_width = None
            self._fence_lines_out = 0
            self._blocks_done += 1
            self._previous_new_line = kind != "hr"
            cut_line = end_line
        self._tail = "" if final else tail[line_offsets[cut_line] :]
        if cut_line:
            self._parsed_length = len(self._tail)
        return rows

    def _update_open_fence(self, limit: int) -> tuple[list[str], list[str]]:
        """An open code fence: draw only its uncommitted lines; commit complete lines in batches.

        Re-rendering a long fence on every frame would cost O(length) per frame. Here the
        live view renders just the code lines not yet committed, and once they fill twice
        the live region, all complete lines but the last ``limit`` are committed from one
        exact render of the fence so far. Highlighting runs forward line by line, so those
        rows are the ones a one-shot render gives; only the live view's first rows may
        briefly lack the colour of a construct (a docstring) that began above them.
        """
        lines = self._tail.split("\n")
        opening = next(index for index, line in enumerate(lines) if line.strip())
        code = lines[opening + 1 :]
        complete = len(code) - 1  # the last piece is a partial line, or "" after a newline
        early: list[str] = []
        if complete - self._fence_lines_out >= 2 * limit:
            committed_lines = complete - limit
            head = "\n".join(lines[: opening + 1 + committed_lines]) + "\n"
            head_rows = self._with_separator(self._render(head), "fence")
            early = head_rows[self._rows_out :]
            self._rows_out = len(head_rows)
            self._fence_lines_out = committed_lines
            self._pin()
        if self._fence_lines_out == 0:
            live = self._render_open()
        else:
            window = "\n".join([lines[opening], *code[self._fence_lines_out :]])
            live = self._render(window, numbered=False)  # its label is committed already
        return early, live[-limit:]

    def _settled_rows(self) -> int:
        """How many top rows of the open block more text cannot change (module's note).

        Rows made from a settled head of the block are final, except the head's own last
        row, which the text after it may still flow into.
        """
        head = _settled_head(self._tail, self._open_kind, self._open_children)
        if not head.strip():
            return 0
        rows = self._with_separator(self._render(head), self._open_kind)
        return max(0, len(rows) - 1)

    def _render_held(self, text: str, width: int, first_fence: int) -> list[str]:
        return render_lines(self._console, text, self._code_theme, width, self._dim, first_fence)

    def _render_open(self) -> list[str]:
        if not self._tail.strip():
            return []
        return self._with_separator(self._render(self._tail), self._open_kind)

    def _render(self, text: str, numbered: bool = True) -> list[str]:
        """``text`` (the tail, or a part of it) at the frame's width; its fenced code
        blocks numbered on from those of the finished blocks."""
        width = self._pinned_width or self._frame_width
        first = self._fences_done + 1 if numbered else None
        return render_lines(self._console, text, self._code_theme, width, self._dim, first)

    def _pin(self) -> None:
        """Rows of the open block went out: the rest of it keeps their width."""
        if self._pinned_width is None:
            self._pinned_width = self._frame_width or self._console.width

    def _with_separator(self, rows: list[str], kind: str) -> list[str]:
        if kind in _LEAF_BLOCKS and self._blocks_done and self._previous_new_line:
            return ["", *rows]
        return rows


def _settled_head(tail: str, kind: str, children: list[int]) -> str:
    """The head of an open block that more text cannot change: its complete lines, or
    its items and inner blocks that a later one has closed (module's note)."""
    if kind in _LINE_SETTLED_BLOCKS:
        return tail[: tail.rstrip("\n").rfind("\n") + 1]
    if kind in _CHILD_SETTLED_BLOCKS and len(children) > 1:
        return tail[: children[-1]]
    return ""


class _HeldBlocks:
    """Finished blocks kept live while held: their source, and their rows at a width."""

    def __init__(self, first_fence: int) -> None:
        self._first_fence = first_fence
        self._text = ""
        self._rows: list[str] = []
        self._width: int | None = None

    def add(self, source: str, rows: list[str]) -> None:
        self._text += source
        self._rows += rows

    def rows_at(self, width: int, render: Callable[[str, int, int], list[str]]) -> list[str]:
        """The rows at ``width``: rendered again, whole, after a resize."""
        if self._text and self._width not in (None, width):
            self._rows = render(self._text, width, self._first_fence)
        self._width = width
        return list(self._rows)


def _line_offsets(text: str) -> list[int]:
    """Where each line starts, plus the end of the text."""
    offsets = [0]
    position = text.find("\n")
    while position != -1:
        offsets.append(position + 1)
        position = text.find("\n", position + 1)
    if offsets[-1] != len(text):
        offsets.append(len(text))
    return offsets
