"""Commands that act on the settings: ``/config list | get KEY | set KEY VALUE``."""

from __future__ import annotations

from zorac_repl.commands.base import CommandResult, UsageError, result_of
from zorac_repl.settings.live import LiveSettings

__all__ = ["config"]


async def config(settings: LiveSettings, args: str) -> CommandResult:
    action, _, rest = args.partition(" ")
    action, rest = action.lower(), rest.strip()
    if action == "list" and not rest:
        return result_of(settings.listing())
    if action == "get" and rest and " " not in rest:
        return result_of(settings.describe(rest))
    if action == "set":
        key, _, value = rest.partition(" ")
        if key:
            return result_of(await settings.change(key, value))
    raise UsageError
