"""A small MCP server over stdio, written with the official SDK, for the tools tests.

Run as ``python tests/mcp_server.py`` (stdio), or with ``--http PORT`` as a streamable
HTTP server on 127.0.0.1. Its tools: ``echo``, ``add``, ``write_note`` (writes
a file: the tests check it is not written before the user says yes), ``slow`` (sleeps,
for Ctrl+C and timeouts), ``crash`` (the process exits), ``environment`` (the names of
the variables it was given) and ``shout`` (a long result).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server = MCPServer("zorac-test-tools")


@server.tool()
def echo(text: str) -> str:
    """Say the text back."""
    return text


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
def write_note(path: str, text: str) -> str:
    """Write text to a file."""
    Path(path).write_text(text)
    return f"wrote {len(text)} characters to {path}"


@server.tool()
async def slow(seconds: float, marker: str = "") -> str:
    """Wait, then say so; if the client cancels the call, write ``marker`` (a path)."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        if marker:
            Path(marker).write_text("cancelled")
        raise
    return f"waited {seconds}s"


@server.tool()
def crash() -> str:
    """Exit at once, mid-call."""
    print("the test server crashes on purpose", file=sys.stderr, flush=True)
    os._exit(3)


@server.tool()
def garbage() -> str:
    """Write what is not MCP on stdout, then answer."""
    sys.stdout.write("this is not JSON-RPC\n\x1b[31mnor this\n")
    sys.stdout.flush()
    return "answered after the garbage"


@server.tool()
def environment() -> str:
    """The names of the environment variables this process has."""
    return " ".join(sorted(os.environ))


@server.tool()
def shout(times: int) -> str:
    """A long result."""
    return "LOUD " * times


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
