"""The REPL as the chat core's front end: answers drawn in the terminal, outcomes told above
the prompt, and the last answer's figures kept for the toolbar."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from zorac_repl.errors import ContextOverflow
from zorac_repl.render.printer import Printer
from zorac_repl.settings.table import Settings
from zorac_repl.terminal.keyboard import KeyReader
from zorac_repl.terminal.screen import (
    CursorProbe,
    flushing_writer,
    known_to_rewrap,
    terminal_columns,
    terminal_rows,
)

if TYPE_CHECKING:
    from zorac_repl.chat.core import Asked
    from zorac_repl.chat.tool_use import Decision
    from zorac_repl.conversation.message import ToolMessage
    from zorac_repl.render.answer_view import AnswerView
    from zorac_repl.tools.servers import ToolInfo

__all__ = ["TerminalFrontEnd"]


class TerminalFrontEnd:
    """Draws answers below the prompt's scrollback and says how each message fared.

    Args:
        printer: status lines.
        keys: the keyboard reader that answers the cursor probe; ``None`` off a terminal.
        environ: tells which terminal this is (how it re-wraps on a resize).

    Attributes:
        last_stats: the last answer's figures, for the toolbar, while that answer
            (``last_answer``) ends the conversation.
    """

    def __init__(
        self,
        printer: Printer,
        keys: KeyReader | None,
        environ: Mapping[str, str],
    ) -> None:
        self._printer = printer
        self._keys = keys
        self._environ = environ
        self._cursor_probe: CursorProbe | None = None
        self.last_stats = ""
        self.last_answer = ""  # the answer ``last_stats`` describes

    async def confirm_tool(self, tool: ToolInfo, arguments: dict[str, Any]) -> Decision:
        from zorac_repl.repl.tool_prompt import ask_about_call

        return await ask_about_call(self._printer, tool, arguments)

    def tool_result(self, result: ToolMessage, number: int) -> None:
        from zorac_repl.tools.shown import result_line

        style = "dim" if result.status == "ok" else "yellow"
        self._printer.say(result_line(result, number), style)

    def answer_view(self, settings: Settings) -> AnswerView:
        from zorac_repl.render.answer_view import TerminalAnswerView

        write = flushing_writer(sys.stdout)
        if self._cursor_probe is None and self._keys is not None:
            self._cursor_probe = CursorProbe(write, self._keys, known_to_rewrap(self._environ))
        return TerminalAnswerView(
            self._printer.console,
            write,
            terminal_rows,
            settings.code_theme,
            columns=terminal_columns,
            cursor_probe=self._cursor_probe,
            reasoning=settings.reasoning,
            thought_hint=" · /think shows it",
        )

    def report(self, asked: Asked, max_output_tokens: int) -> None:
        from zorac_repl.stats import cut_off_line, no_answer_line, short_rate

        say = self._printer.say
        outcome = asked.outcome
        if outcome is None:
            if asked.error is not None and not asked.error_told:
                say(str(asked.error), "red")
            return
        figures = outcome.figures
        if outcome.status == "complete":
            # The toolbar's "last:" figures belong to this answer, and go with it (/undo).
            self.last_stats = f"last: {figures.tokens} tokens, {short_rate(figures)}"
            self.last_answer = outcome.text
        if outcome.status == "interrupted":
            if figures.thinking_seconds is not None and figures.answer_at is None:
                say(f"Thinking stopped after {figures.thinking_seconds:.1f}s.", "yellow")
            say(f"Response interrupted. {asked.stats}", "yellow")
        elif outcome.status == "unanswered":
            say(f"{no_answer_line(max_output_tokens)} Your message is back in the input.", "yellow")
        elif outcome.error is not None:
            kept = " The partial answer above was not kept." if outcome.text else ""
            if isinstance(outcome.error, ContextOverflow):
                kept += f" Your message is back in the input. {asked.advice}"
            say(f"{outcome.error}{kept}", "red")
        else:
            say(asked.stats, "dim")
            if outcome.finish_reason == "length":
                say(cut_off_line(max_output_tokens), "yellow")
