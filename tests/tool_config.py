"""The test MCP server configured as a user would, in the config file of a test."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SERVER = str(Path(__file__).with_name("mcp_server.py"))


def configure_tools(approve: tuple[str, ...] = (), **extra: object) -> Path:
    """Write ``mcpServers`` with the test server (named ``test``) into the config file of
    this test (``$ZORAC_CONFIG_DIR``); returns the file."""
    path = Path(os.environ["ZORAC_CONFIG_DIR"]) / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"command": sys.executable, "args": [SERVER], "autoApprove": list(approve), **extra}
    path.write_text(json.dumps({"mcpServers": {"test": entry}}))
    path.chmod(0o600)
    return path
