"""The tools of this run: the configured servers, which are on, and what runs unasked.

Servers start the first time tools are offered (a message is sent with tools on), each
at most once at a time. ``/tools off NAME`` turns a server or one tool off for the run;
``a`` at a confirmation approves a tool for the rest of the run, beside the config's
``autoApprove``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from zorac_repl.tools.config import ServerSpec
from zorac_repl.tools.servers import ToolInfo, ToolServer

__all__ = ["ToolBox"]


class ToolBox:
    """Every configured MCP server, and the run's choices about their tools.

    Args:
        specs: the servers, by name.
        environ: where ``PATH`` and ``HOME`` come from for their processes.
    """

    def __init__(self, specs: Mapping[str, ServerSpec], environ: Mapping[str, str]) -> None:
        self.servers = {name: ToolServer(spec, environ) for name, spec in specs.items()}
        self.always: set[str] = set()  # qualified names approved for this run
        self.off: set[str] = set()  # tool names (server__tool) turned off for this run
        self._starting: asyncio.Lock | None = None

    def __bool__(self) -> bool:
        return bool(self.servers)

    async def offered(self) -> list[ToolInfo]:
        """The tools to offer now, starting the servers that are not running yet."""
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            waiting = [s for s in self.servers.values() if s.state in ("stopped", "starting")]
            await asyncio.gather(*(server.start() for server in waiting))
        return [
            tool
            for server in self.servers.values()
            if server.state == "running"
            for tool in server.tools
            if tool.qualified not in self.off
        ]

    def find(self, qualified: str) -> tuple[ToolServer, ToolInfo] | None:
        """The tool the model called by ``qualified``, and its server."""
        for server in self.servers.values():
            for tool in server.tools:
                if tool.qualified == qualified:
                    return server, tool
        return None

    def approved(self, tool: ToolInfo) -> bool:
        """It runs without asking: the config said so, or ``a`` did for this run."""
        return tool.approved or tool.qualified in self.always

    async def switch(self, on: bool, name: str = "") -> str:
        """``/tools on|off [SERVER|TOOL]``: the line that says what changed.

        Raises:
            KeyError: no server or tool is called ``name``.
        """
        word = "on" if on else "off"
        if not name or name in self.servers:
            chosen = [self.servers[name]] if name else list(self.servers.values())
            for server in chosen:
                if on and server.state == "disabled":
                    server.state = "stopped"
                elif not on and server.state != "disabled":
                    await server.stop()  # its process ends; on again starts it afresh
                    server.state = "disabled"
            which = f"the MCP server {name}" if name else "every MCP server"
            return f"Tools of {which} are {word} for this run."
        matches = [
            tool.qualified
            for server in self.servers.values()
            for tool in server.tools
            if name in (tool.name, tool.qualified)
        ]
        if not matches:
            raise KeyError(name)
        for qualified in matches:
            (self.off.discard if on else self.off.add)(qualified)
        return f"The tool {name} is {word} for this run."

    async def close(self) -> None:
        await asyncio.gather(*(server.stop() for server in self.servers.values()))
