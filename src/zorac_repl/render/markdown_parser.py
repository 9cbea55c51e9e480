"""The markdown-it parser configured as ``rich.markdown.Markdown`` configures its own.

Whoever cuts Markdown into blocks (the streaming renderer, ``/copy``'s code blocks) must
see the blocks Rich sees, so they all take this one parser.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

__all__ = ["markdown_parser"]


def markdown_parser() -> MarkdownIt:
    """A parser with Rich's configuration: CommonMark plus strikethrough and tables."""
    return MarkdownIt().enable("strikethrough").enable("table")
