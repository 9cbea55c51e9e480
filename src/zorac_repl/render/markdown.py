"""How one piece of Markdown becomes terminal lines: the one-shot render everything else matches.

``render_lines`` is the reference: the streaming renderer must leave exactly these lines in
scrollback. It is Rich's Markdown with three changes made for a chat in a terminal:

- code blocks have no padding, no background fill and no trailing spaces, so a copied
  block pastes exactly; fenced ones carry a dim ``[2] python`` label for ``/copy``; and
  plain code takes the terminal's own text colour, so it is readable on light terminals
  too (only keywords, strings, comments… are coloured);
- links are written as ``text (url)`` rather than OSC 8 escapes, so they survive copying
  and terminals without hyperlink support;
- trailing spaces that carry no visible style are dropped from every line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from pygments.token import Token
from rich.color import ColorSystem
from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import CodeBlock, Markdown, MarkdownElement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import PygmentsSyntaxTheme, Syntax, SyntaxTheme, TokenType
from rich.text import Text

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["ChatMarkdown", "render_lines"]


class _TerminalTheme(SyntaxTheme):
    """A Pygments theme without its background, whose base text colour is the terminal's.

    Themes such as monokai assume their own dark background; drawn on a light terminal
    their near-white plain text would vanish.
    """

    def __init__(self, name: str) -> None:
        self._theme = PygmentsSyntaxTheme(name)
        self._base_color = self._theme.get_style_for_token(Token).color
        self._styles: dict[TokenType, Style] = {}

    def get_style_for_token(self, token_type: TokenType) -> Style:
        style = self._styles.get(token_type)
        if style is None:
            # Built once per token type: highlighting asks for every token of every render.
            themed = self._theme.get_style_for_token(token_type)
            color = None if themed.color == self._base_color else themed.color
            style = Style(
                color=color, bold=themed.bold, italic=themed.italic, underline=themed.underline
            )
            self._styles[token_type] = style
        return style

    def get_background_style(self) -> Style:
        return Style()


@functools.lru_cache(maxsize=8)
def _terminal_theme(name: str) -> _TerminalTheme:
    return _TerminalTheme(name)


class _CleanCodeBlock(CodeBlock):
    """A code block that copies cleanly: no padding, no background.

    A fenced one is numbered, for ``/copy N``: a dim ``[2] python`` row above it.
    """

    number: int | None = None

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> CodeBlock:
        block = super().create(markdown, token)
        if token.type == "fence" and isinstance(markdown, ChatMarkdown):
            assert isinstance(block, _CleanCodeBlock)
            block.number = markdown.take_fence_number()
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.number is not None:
            language = "" if self.lexer_name == "text" else f" {self.lexer_name}"
            yield Text(f"[{self.number}]{language}", style="dim")
        code = str(self.text).rstrip()
        yield Syntax(
            code, self.lexer_name, theme=_terminal_theme(self.theme), word_wrap=True, padding=0
        )


class ChatMarkdown(Markdown):
    """Rich's Markdown as zorac-repl shows it.

    Args:
        first_fence: the number of its first fenced code block (the answer's blocks are
            numbered from 1; a part of an answer continues the count); ``None``: unnumbered.
    """

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "fence": _CleanCodeBlock,
        "code_block": _CleanCodeBlock,
    }

    def __init__(
        self, markup: str, code_theme: str = "monokai", first_fence: int | None = 1
    ) -> None:
        super().__init__(markup, code_theme=code_theme, hyperlinks=False)
        self._next_fence = first_fence

    def take_fence_number(self) -> int | None:
        number = self._next_fence
        if number is not None:
            self._next_fence = number + 1
        return number


_COLOR_SYSTEMS = {
    "standard": ColorSystem.STANDARD,
    "256": ColorSystem.EIGHT_BIT,
    "truecolor": ColorSystem.TRUECOLOR,
    "windows": ColorSystem.WINDOWS,
}


def _is_blank(style: Style | None) -> bool:
    """A space in this style looks like no character at all."""
    if style is None:
        return True
    bgcolor = style.bgcolor
    return (bgcolor is None or bgcolor.is_default) and not (
        style.underline or style.reverse or style.strike or style.overline
    )


def _strip_trailing(line: list[Segment]) -> list[Segment]:
    while line:
        last = line[-1]
        if last.control or not _is_blank(last.style):
            break
        text = last.text.rstrip(" ")
        if text:
            line[-1] = Segment(text, last.style)
            break
        line.pop()
    return line


_DIM = Style(dim=True)


def _to_ansi(
    line: Iterable[Segment],
    color_system: ColorSystem | None,
    no_color: bool = False,
    dim: bool = False,
) -> str:
    if color_system is None:
        return "".join(segment.text for segment in line if not segment.control)
    parts = []
    for text, style, control in line:
        if control:
            continue
        if style and no_color:
            # NO_COLOR: bold, italics and underline stay; colours go (as Console.print does).
            style = style.without_color
        if dim:
            style = style + _DIM if style else _DIM
        parts.append(style.render(text, color_system=color_system) if style else text)
    return "".join(parts)


def render_lines(
    console: Console,
    markup: str,
    code_theme: str = "monokai",
    width: int | None = None,
    dim: bool = False,
    first_fence: int | None = 1,
) -> list[str]:
    """Render ``markup`` once at ``width`` (default: the console's); one ANSI string a row.

    ``dim`` draws every character dimmed (a reasoning model's thinking). Fenced code
    blocks are numbered from ``first_fence`` (``None``: no numbers).
    """
    options = console.options.update(height=None)
    if width is not None:
        options = options.update_width(width)
    rows = console.render_lines(
        ChatMarkdown(markup, code_theme, first_fence), options, pad=False, new_lines=False
    )
    color_system = _COLOR_SYSTEMS.get(console.color_system or "") if console.color_system else None
    return [
        _to_ansi(_strip_trailing(list(row)), color_system, console.no_color, dim) for row in rows
    ]
