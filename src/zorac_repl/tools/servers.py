"""MCP servers, started when first needed and each kept in a task of its own.

The SDK's client enters task groups that must be left by the task that entered them,
while calls come from each turn's own task; so every server lives in an owner task that
opens the connection, lists the tools, and waits to be stopped, and calls go through the
open client from wherever they are made. ``mcp`` (and the time its import takes) is
loaded only when a server starts: start-up never pays for it.

A server's process gets only the environment its ``env`` gives, plus ``PATH`` and
``HOME`` (started through ``env -i``): the API key never reaches it. What it writes on
stderr is kept, and its last line is the reason shown when it fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from zorac_repl.errors import ZoracError
from zorac_repl.server.http_errors import one_line
from zorac_repl.tools.config import ServerSpec

__all__ = ["CallResult", "ToolFailed", "ToolInfo", "ToolServer", "ToolState"]

_log = logging.getLogger(__name__)

ToolState = Literal["stopped", "starting", "running", "failed", "disabled"]
# How long a server has to start and list its tools.
_START_SECONDS = 20.0


class ToolFailed(ZoracError):
    """A call could not be made or did not finish: the server crashed, hung or answered
    with something that is not MCP. The text is one line."""


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """One tool of one server.

    Attributes:
        server: the server's name in ``mcpServers``.
        name: the tool's own name.
        description: what it says it does.
        schema: its arguments' JSON schema.
        approved: it runs without asking (``autoApprove``).
    """

    server: str
    name: str
    description: str
    schema: Mapping[str, Any]
    approved: bool

    @property
    def qualified(self) -> str:
        """The name the model calls it by: ``server__tool``, unique across servers."""
        return f"{self.server}__{self.name}"[:64]

    def for_request(self) -> dict[str, Any]:
        """The tool in a request's ``tools`` (OpenAI's function shape)."""
        return {
            "type": "function",
            "function": {
                "name": self.qualified,
                "description": self.description[:1024],
                "parameters": dict(self.schema) or {"type": "object", "properties": {}},
            },
        }


@dataclass(frozen=True, slots=True)
class CallResult:
    """What a tool gave back: its text, and whether the tool said it failed."""

    text: str
    is_error: bool = False


class ToolServer:
    """One configured MCP server.

    Args:
        spec: how it is started and what runs unasked.
        environ: the environment ``PATH`` and ``HOME`` are taken from.
    """

    def __init__(self, spec: ServerSpec, environ: Mapping[str, str]) -> None:
        self.spec = spec
        self._environ = environ
        self.state: ToolState = "disabled" if spec.disabled else "stopped"
        self.problem = ""  # why it failed: its stderr's last line, or what went wrong
        self.tools: list[ToolInfo] = []
        self._client: Any = None
        self._owner: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._errlog: Any = None

    @property
    def name(self) -> str:
        return self.spec.name

    async def start(self) -> None:
        """Start it if it is not running; a failure leaves ``state`` failed, with why."""
        if self.state in ("running", "disabled"):
            return
        if self.state != "starting":
            self.state, self.problem = "starting", ""
            self._ready, self._stop = asyncio.Event(), asyncio.Event()
            self._owner = asyncio.create_task(self._own(), name=f"mcp {self.name}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), _START_SECONDS)
        if self.state == "starting":
            self.problem = f"it did not start within {_START_SECONDS:g}s"
            await self.stop()
            self.state = "failed"

    async def _own(self) -> None:
        from mcp import Client

        # Kept for the reason of a failure; never on the terminal, where it would tear
        # through the prompt.
        self._errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
        try:
            async with Client(self._transport(), mode="legacy") as client:
                listed = await client.list_tools()
                self.tools = [
                    ToolInfo(
                        self.name,
                        tool.name,
                        tool.description or "",
                        tool.input_schema,
                        tool.name in self.spec.approved,
                    )
                    for tool in listed.tools
                ]
                self._client, self.state = client, "running"
                self._ready.set()
                await self._stop.wait()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the SDK's, the process's, the transport's: one line
            _log.debug("MCP server %s failed", self.name, exc_info=True)
            self.state, self.problem = "failed", self._last_words() or _said(exc)
        finally:
            self._client = None
            if self.state == "running":
                self.state = "stopped"
            self._ready.set()

    def _transport(self) -> Any:
        """The SDK's transport: streamable HTTP with the headers, or the process."""
        from mcp.client.stdio import StdioServerParameters, stdio_client

        if self.spec.url:
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            http = httpx2.AsyncClient(headers=dict(self.spec.headers), timeout=30.0)
            return streamable_http_client(self.spec.url, http_client=http)
        given = {key: self._environ[key] for key in ("PATH", "HOME") if key in self._environ}
        given.update(self.spec.env)
        assignments = [f"{key}={value}" for key, value in given.items()]
        # env -i: nothing of ours is inherited, not even what the SDK passes on by default.
        process = StdioServerParameters(
            command="env", args=["-i", *assignments, self.spec.command, *self.spec.args]
        )
        return stdio_client(process, errlog=self._errlog)

    def _last_words(self) -> str:
        """The last line the server wrote on stderr."""
        if self._errlog is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._errlog.seek(0)
            lines = [line.strip() for line in self._errlog.read()[-8192:].splitlines()]
            lines = [line for line in lines if line]
            return one_line(lines[-1]) if lines else ""
        return ""

    async def call(self, tool: str, arguments: dict[str, Any], timeout: float) -> CallResult:
        """Call ``tool``; Ctrl+C (cancelling the awaiting task) sends MCP's cancellation.

        Raises:
            ToolFailed: the server is not running, crashed, or did not answer in time.
        """
        client = self._client
        if client is None or self.state != "running":
            raise ToolFailed(f"The MCP server {self.name} is not running: {self.problem}")
        try:
            result = await asyncio.wait_for(client.call_tool(tool, arguments), timeout)
        except TimeoutError:
            raise ToolFailed(
                f"{self.name} {tool} did not answer within {timeout:g}s (TOOL_TIMEOUT); "
                "it was cancelled."
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await asyncio.sleep(0.05)  # a crash: let the owner see the process end
            reason = self._last_words() or _said(exc)
            raise ToolFailed(f"{self.name} {tool} failed: {reason}") from None
        texts = [
            getattr(block, "text", None) or f"[{getattr(block, 'type', 'content')}]"
            for block in result.content
        ]
        return CallResult("\n".join(texts), bool(result.is_error))

    async def stop(self) -> None:
        """End the server's process (its owner task leaves the connection)."""
        self._stop.set()
        owner, self._owner = self._owner, None
        if owner is not None:
            try:
                await asyncio.wait_for(asyncio.shield(owner), 5)
            except (TimeoutError, asyncio.CancelledError, Exception):
                owner.cancel()
        if self.state in ("running", "starting"):
            self.state = "stopped"


def _said(error: BaseException) -> str:
    """An exception in one line: its first line with words, or its kind."""
    return one_line(str(error)) or type(error).__name__
