"""``/tools`` and ``/tool N``: the MCP servers and their tools, and a tool's result whole."""

from __future__ import annotations

import asyncio

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, UsageError
from zorac_repl.conversation.message import ToolMessage

__all__ = ["show_result", "tools"]

_STATES = {
    "running": "running",
    "stopped": "not started yet (starts with the next message)",
    "starting": "starting",
    "disabled": "off",
}


async def tools(parts: ChatParts, args: str) -> CommandResult:
    """``/tools``, ``/tools on|off [SERVER|TOOL]``."""
    box = parts.tools
    words = args.split()
    if box and any(s.state in ("stopped", "starting") for s in box.servers.values()):
        # Their tools are known only once they run: start them to list or switch one.
        try:
            await parts.runner.run(box.offered(), "Starting the MCP servers… (Ctrl+C stops)")
        except asyncio.CancelledError:
            return CommandResult("Stopped waiting for the MCP servers.", style="yellow")
    if words and words[0] in ("on", "off") and len(words) <= 2:
        if not box:
            return CommandResult("No MCP servers are configured (mcpServers in the config file).")
        try:
            line = await box.switch(words[0] == "on", words[1] if len(words) == 2 else "")
        except KeyError:
            return CommandResult(
                f"No MCP server or tool is called {words[1]}; /tools lists them.", style="red"
            )
        return CommandResult(line)
    if words:
        raise UsageError
    if not box:
        return CommandResult(
            'No MCP servers are configured. Add them under "mcpServers" in the config file, '
            'as other clients do: {"mcpServers": {"files": {"command": "…", "args": [...]}}}.'
        )
    settings = parts.settings.current
    rows = []
    for server in box.servers.values():
        state = _STATES.get(server.state, server.state)
        if server.state == "failed":
            state = f"failed: {server.problem}"
        rows.append((server.name, state))
        for tool in server.tools:
            marks = []
            if tool.qualified in box.off:
                marks.append("off")
            if box.approved(tool):
                marks.append("runs unasked")
            mark = f" ({', '.join(marks)})" if marks else ""
            summary = tool.description.splitlines()[0] if tool.description else ""
            rows.append(("", f"{tool.name}{mark}: {summary}"))
    footer = "" if settings.tools else "TOOLS is false: no tools are offered to the model."
    return CommandResult(
        tables=(Table(heading="MCP servers and their tools:", rows=tuple(rows), footer=footer),)
    )


async def show_result(parts: ChatParts, args: str) -> CommandResult:
    """``/tool N``: the Nth tool result of the conversation, whole."""
    results = [m for m in parts.conversation.messages if isinstance(m, ToolMessage)]
    if not results:
        return CommandResult("No tool has run in this conversation.")
    try:
        number = int(args) if args else len(results)
    except ValueError:
        raise UsageError from None
    if not 1 <= number <= len(results):
        return CommandResult(
            f"There is no tool result {number}: there are {len(results)}.", style="red"
        )
    result = results[number - 1]
    return CommandResult(f"{result.server} {result.tool} ({result.status}):\n{result.content}")
