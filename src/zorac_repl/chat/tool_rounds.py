"""The rounds of one message with tools: model → calls → results → model, until it answers.

Tools are offered only where they can work: ``TOOLS`` on, servers configured, and the
server not known to refuse them (``ServerLink.tool_support``). Each round is a turn of
its own (``run_turn``) with a fresh view; the calls between rounds run one by one
(``ToolUse``). ``TOOL_ROUNDS`` caps the rounds: past it the calls are answered "not run"
and the model answers without tools, said in one line. A round that fails or is
interrupted takes the whole exchange back (``Conversation.rollback_user``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

from zorac_repl.chat.runner import Runner
from zorac_repl.chat.tool_use import ToolUse
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import ToolMessage
from zorac_repl.errors import ToolsRefused
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.tools.servers import ToolInfo

if TYPE_CHECKING:
    from zorac_repl.chat.turn import TurnOutcome
    from zorac_repl.render.answer_view import AnswerView
    from zorac_repl.server.client import ChatRequest
    from zorac_repl.settings.table import Settings

__all__ = ["ToolRounds"]


class ToolRounds:
    """Sends one message's rounds.

    Args:
        settings, link, conversation, printer, runner: the chat core's parts.
        tool_use: runs the calls; ``None``: no tools are configured.
        new_view: a fresh answer view for each round.
    """

    def __init__(
        self,
        settings: LiveSettings,
        link: ServerLink,
        conversation: Conversation,
        printer: Printer,
        runner: Runner,
        tool_use: ToolUse | None,
        new_view: Callable[[Settings], AnswerView],
    ) -> None:
        self._settings = settings
        self._link = link
        self._conversation = conversation
        self._printer = printer
        self._runner = runner
        self._tool_use = tool_use
        self._new_view = new_view
        self._told: set[str] = set()  # lines said once per run

    async def offered(self) -> list[ToolInfo]:
        """The tools to offer with the next message (servers start now, if need be)."""
        settings = self._settings.current
        if not settings.tools or self._tool_use is None or not self._tool_use.box:
            return []
        takes, how = await self._link.tool_support()
        if takes is False:
            self._once(
                f"{settings.model} takes no tools ({how}); messages go without them.", "yellow"
            )
            return []
        box = self._tool_use.box
        starting = any(s.state in ("stopped", "starting") for s in box.servers.values())
        label = "Starting the MCP servers… (Ctrl+C stops waiting)" if starting else None
        tools = await self._runner.run(box.offered(), label)
        for server in box.servers.values():
            if server.state == "failed":
                self._once(f"The MCP server {server.name} failed: {server.problem} (/tools)", "red")
        return tools

    def _once(self, line: str, style: str) -> None:
        if line not in self._told:
            self._told.add(line)
            self._printer.say(line, style)

    async def run(self, request: ChatRequest, tools: list[ToolInfo]) -> TurnOutcome:
        """Every round of the message last added, until an answer without calls."""
        if tools:
            request = dataclasses.replace(request, tools=tuple(t.for_request() for t in tools))
        outcome = await self._round(request)
        rounds = 0
        limit = self._settings.current.tool_rounds
        while outcome.status == "complete" and outcome.tool_calls and self._tool_use:
            rounds += 1
            refuse = ""
            if rounds > limit:
                refuse = (
                    f"Not run: this message has had {limit} rounds of tool calls "
                    "(TOOL_ROUNDS). Answer with what you have."
                )
            for call in outcome.tool_calls:
                number = sum(isinstance(m, ToolMessage) for m in self._conversation.messages)
                result = await self._tool_use.run(call, number + 1, refuse)
                self._conversation.add_tool_result(result)
            if refuse:
                self._printer.say(
                    f"The model asked for tools {limit} rounds running (TOOL_ROUNDS); it "
                    "answers without them now.",
                    "yellow",
                )
                request = dataclasses.replace(request, tools=())
            outcome = await self._round(request)
        if isinstance(outcome.error, ToolsRefused):
            self._link.learn_tool_support(False, "the server refused them")
        elif tools and outcome.status == "complete" and "<tool_call>" in outcome.text:
            self._once(
                "The model wrote a tool call as text, and nothing was run: llama-server "
                "needs --jinja (and a template that knows tools) for tool calls.",
                "yellow",
            )
        return outcome

    async def _round(self, request: ChatRequest) -> TurnOutcome:
        from zorac_repl.chat.turn import run_turn

        settings = self._settings.current
        # The turn ends as "interrupted" when cancelled: it never raises CancelledError.
        return await self._runner.run(
            run_turn(
                self._link.client,
                self._conversation,
                request,
                self._new_view(settings),
                stream=settings.stream,
            )
        )
