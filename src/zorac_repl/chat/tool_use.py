"""One tool call, from the model's request to the result the model is told.

Nothing runs that the user did not see: a call is shown with its server, tool and
arguments and waits for ``y`` (run), ``n`` (refuse), ``a`` (always, for this run) or
``e`` (edit the arguments), unless the config pre-approves the tool (``autoApprove``).
Arguments that are not a JSON object, or do not match the tool's schema, are refused
before anything runs, and the model is told why; so is a call to a tool that does not
exist. Ctrl+C while a call runs cancels it (MCP's cancellation is sent) and the model is
told; a tool that crashes or hangs is one line, and an error result.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from typing import Any, Literal, Protocol

from zorac_repl.chat.runner import Runner
from zorac_repl.conversation.message import ToolMessage, ToolStatus
from zorac_repl.conversation.tool_calls import ToolCall
from zorac_repl.render.printer import Printer
from zorac_repl.settings.live import LiveSettings
from zorac_repl.tools.servers import ToolFailed, ToolInfo
from zorac_repl.tools.shown import call_lines
from zorac_repl.tools.toolbox import ToolBox

__all__ = ["Decision", "ToolFront", "ToolUse"]

# What the user said to a call: run it, refuse it, always run this tool, or run it with
# these arguments instead (edited).
Decision = Literal["yes", "no", "always"] | dict[str, Any]


class ToolFront(Protocol):
    """What a front end does for tools: ask before a call, and show its result."""

    async def confirm_tool(self, tool: ToolInfo, arguments: dict[str, Any]) -> Decision:
        """Show the call and ask; a front end with no terminal answers ``no``."""
        ...

    def tool_result(self, result: ToolMessage, number: int) -> None:
        """Show the result folded to a line (``/tool number`` shows it whole)."""
        ...


class ToolUse:
    """Runs the calls the model asks for.

    Args:
        box: the servers and the run's approvals.
        settings: ``TOOL_TIMEOUT``, ``TOOL_RESULT_MAX``.
        runner: runs a call so that Ctrl+C cancels it.
        printer: a failure's line.
        front: asks, and shows results.
    """

    def __init__(
        self,
        box: ToolBox,
        settings: LiveSettings,
        runner: Runner,
        printer: Printer,
        front: ToolFront,
    ) -> None:
        self.box = box
        self._settings = settings
        self._runner = runner
        self._printer = printer
        self._front = front

    async def run(self, call: ToolCall, number: int, refuse: str = "") -> ToolMessage:
        """The result of ``call``, the ``number``-th result of the conversation; with
        ``refuse``, it is not run and the model is told that."""
        found = self.box.find(call.name)
        if found is None:
            names = ", ".join(
                tool.qualified for server in self.box.servers.values() for tool in server.tools
            )
            return self._shown(
                ToolMessage(
                    call.id,
                    f"There is no tool {call.name}. The tools are: {names}.",
                    tool=call.name,
                    status="failed",
                ),
                number,
            )
        server, tool = found
        if tool.qualified in self.box.off or server.state != "running":
            why = f"The tool {tool.name} is off for this run (/tools); nothing was run."
            return self._shown(self._result(call, tool, why, "refused"), number)
        arguments, problem = _arguments(call.arguments, tool)
        if problem:
            return self._shown(self._result(call, tool, problem, "failed"), number)
        if refuse:
            return self._shown(self._result(call, tool, refuse, "refused"), number)
        if self.box.approved(tool):
            # Shown all the same: nothing runs that the user did not see.
            self._printer.say(call_lines(tool, arguments), "dim")
        else:
            decision = await self._front.confirm_tool(tool, arguments)
            if decision == "no":
                return self._shown(
                    self._result(call, tool, "The user refused to run this call.", "refused"),
                    number,
                )
            if decision == "always":
                self.box.always.add(tool.qualified)
            elif isinstance(decision, dict):
                arguments, problem = _arguments(json.dumps(decision), tool)
                if problem:
                    return self._shown(self._result(call, tool, problem, "failed"), number)
        settings = self._settings.current
        label = f"Running {tool.server} {tool.name}… (Ctrl+C cancels the call)"
        started = time.perf_counter()
        try:
            answer = await self._runner.run(
                server.call(tool.name, arguments, settings.tool_timeout), label
            )
        except asyncio.CancelledError:
            result = self._result(call, tool, "The user cancelled this call (Ctrl+C).", "cancelled")
        except ToolFailed as exc:
            self._printer.say(str(exc), "red")
            result = self._result(call, tool, f"The call failed: {exc}", "failed")
        else:
            text = _cut(answer.text, settings.tool_result_max)
            result = self._result(call, tool, text, "error" if answer.is_error else "ok")
        seconds = round(time.perf_counter() - started, 3)
        return self._shown(dataclasses.replace(result, seconds=seconds), number)

    def _shown(self, result: ToolMessage, number: int) -> ToolMessage:
        self._front.tool_result(result, number)
        return result

    @staticmethod
    def _result(call: ToolCall, tool: ToolInfo, text: str, status: ToolStatus) -> ToolMessage:
        return ToolMessage(call.id, text, tool.server, tool.name, status)


def _arguments(text: str, tool: ToolInfo) -> tuple[dict[str, Any], str]:
    """The call's arguments, or why they are refused (told to the model)."""
    try:
        arguments = json.loads(text or "{}")
    except (ValueError, RecursionError) as exc:
        return {}, f"The arguments are not valid JSON ({exc}); nothing was run."
    if not isinstance(arguments, dict):
        return {}, "The arguments are not a JSON object; nothing was run."
    import jsonschema

    try:
        jsonschema.validate(arguments, dict(tool.schema))
    except jsonschema.ValidationError as exc:
        return {}, f"The arguments do not match the tool's schema: {exc.message}; nothing was run."
    except jsonschema.SchemaError:
        pass  # the server's schema is broken: the server will say what it takes
    return arguments, ""


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return (
        text[:limit] + f"\n[The result was {len(text)} characters; only the first {limit} are here "
        "(TOOL_RESULT_MAX).]"
    )
