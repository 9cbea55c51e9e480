"""The fenced code blocks of an answer, numbered as the screen labels them (``[2] python``).

The same parser configuration as the renderer, so block N here is the block labelled
``[N]`` on screen, nested ones (in a list, a quote) included. The code is the block's
source exactly, never the wrapped screen rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from zorac_repl.render.markdown_parser import markdown_parser

__all__ = ["CodeBlock", "code_blocks"]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """One fenced code block: its number, its language (may be empty) and its source."""

    number: int
    language: str
    code: str


def code_blocks(markdown: str) -> list[CodeBlock]:
    """Every fenced code block of ``markdown``, in order, numbered from 1."""
    tokens = markdown_parser().parse(markdown)
    fences = [token for token in tokens if token.type == "fence"]
    return [
        CodeBlock(number, token.info.partition(" ")[0], token.content)
        for number, token in enumerate(fences, 1)
    ]
