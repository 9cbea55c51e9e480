"""``mcpServers`` in the config file, in the shape other clients already write.

::

    {"mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "."],
                  "env": {"DEBUG": "1"}, "autoApprove": ["read_file", "list_directory"]},
        "search": {"url": "https://tools.example/mcp", "headers": {"Authorization": "Bearer …"}},
        "old": {"command": "old-server", "disabled": true}}}

A server is stdio (``command``, ``args``, ``env``) or streamable HTTP (``url``,
``headers``); ``autoApprove`` names tools that run without asking (read-only ones), and
``disabled`` keeps a server off until ``/tools on NAME``. A profile may have its own
``mcpServers``, which replace the file's. An entry that is not one of these is reported
in one line and left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServerSpec", "read_servers", "servers_from_file"]

# What a tool's name may be in a request (OpenAI's function names).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,48}")


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """One MCP server as configured.

    Attributes:
        name: its key under ``mcpServers``.
        command, args, env: how a stdio server is started (``env`` is all it gets,
            besides ``PATH`` and ``HOME``).
        url, headers: where a streamable HTTP server is.
        approved: tools that run without asking.
        disabled: off until turned on.
    """

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    approved: frozenset[str] = frozenset()
    disabled: bool = False


def _strings(value: object) -> tuple[str, ...] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def _pairs(value: object) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return ()
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return tuple(value.items())
    return None


def read_servers(value: object, where: str) -> tuple[dict[str, ServerSpec], list[str]]:
    """The servers of an ``mcpServers`` object, and one line for each entry left out."""
    if value is None:
        return {}, []
    if not isinstance(value, Mapping):
        return {}, [f"{where}: mcpServers is not an object; no tools from it."]
    servers: dict[str, ServerSpec] = {}
    problems: list[str] = []
    for name, entry in value.items():
        problem = _problem(name, entry)
        if problem is not None:
            problems.append(f"{where}: the MCP server {name!r} {problem}; it is left out.")
            continue
        assert isinstance(entry, Mapping)
        servers[name] = ServerSpec(
            name,
            command=str(entry.get("command") or ""),
            args=_strings(entry.get("args", [])) or (),
            env=_pairs(entry.get("env")) or (),
            url=str(entry.get("url") or ""),
            headers=_pairs(entry.get("headers")) or (),
            approved=frozenset(_strings(entry.get("autoApprove", [])) or ()),
            disabled=entry.get("disabled") is True,
        )
    return servers, problems


def _problem(name: object, entry: object) -> str | None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        return "has a name that is not letters, digits, - and _ (48 at most)"
    if not isinstance(entry, Mapping):
        return "is not an object"
    command, url = entry.get("command"), entry.get("url")
    if bool(command) == bool(url):
        return 'needs either "command" (stdio) or "url" (streamable HTTP)'
    if command is not None and not isinstance(command, str):
        return "has a command that is not text"
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        return "has a url that is not http:// or https://"
    if _strings(entry.get("args", [])) is None:
        return "has args that are not a list of text"
    if _pairs(entry.get("env")) is None or _pairs(entry.get("headers")) is None:
        return "has env or headers that are not an object of text values"
    if _strings(entry.get("autoApprove", [])) is None:
        return "has autoApprove that is not a list of tool names"
    return None


def servers_from_file(path: Path, profile: str | None) -> tuple[dict[str, ServerSpec], list[str]]:
    """The ``mcpServers`` of the config file, or of the profile in use when it has its own."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}, []  # the settings' reading says what is wrong with the file
    if not isinstance(raw, Mapping):
        return {}, []
    profiles = raw.get("profiles")
    chosen = profiles.get(profile) if isinstance(profiles, Mapping) and profile else None
    if isinstance(chosen, Mapping) and "mcpServers" in chosen:
        return read_servers(chosen["mcpServers"], f"the profile {profile!r} in {path}")
    return read_servers(raw.get("mcpServers"), str(path))
