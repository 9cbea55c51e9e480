"""Commands that act on the server link: ``/reconnect``."""

from __future__ import annotations

from zorac_repl.commands.base import CommandResult, no_arguments, result_of
from zorac_repl.server_link import ServerLink

__all__ = ["reconnect"]


async def reconnect(link: ServerLink, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(await link.reconnect())
