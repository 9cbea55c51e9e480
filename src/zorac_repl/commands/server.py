"""Commands that act on the server link: ``/reconnect``, ``/model``."""

from __future__ import annotations

from zorac_repl.commands.base import CommandResult, UsageError, no_arguments, result_of
from zorac_repl.server_link import ServerLink

__all__ = ["model", "reconnect"]


async def reconnect(link: ServerLink, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(await link.reconnect())


async def model(link: ServerLink, args: str) -> CommandResult:
    if not args:
        return result_of(await link.listing())
    if " " in args:
        raise UsageError
    return result_of(await link.switch_model(args))
