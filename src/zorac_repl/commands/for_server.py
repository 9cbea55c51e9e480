"""Commands that act on the server link: ``/reconnect``, ``/model``, ``/profile``."""

from __future__ import annotations

from zorac_repl.commands.base import CommandResult, UsageError, no_arguments, result_of
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings

__all__ = ["model", "profile", "reconnect"]


async def reconnect(link: ServerLink, args: str) -> CommandResult:
    no_arguments(args)
    return result_of(await link.reconnect())


async def model(link: ServerLink, args: str) -> CommandResult:
    if not args:
        return result_of(await link.listing())
    if " " in args:
        raise UsageError
    return result_of(await link.switch_model(args))


async def profile(parts: tuple[LiveSettings, ServerLink], args: str) -> CommandResult:
    """``/profile [NAME]``: the config file's server profiles, or switch to one live."""
    settings, link = parts
    if not args:
        profiles = settings.profiles()
        if not profiles:
            return CommandResult(
                f"There are no profiles in {settings.config_path}; the "
                "README's Connecting section shows how to add some."
            )
        width = max(len(name) for name in profiles)
        lines = ["Profiles (* in use):"]
        for name, found in profiles.items():
            mark = "*" if name == settings.profile else " "
            url = found.values.get("VLLM_BASE_URL", "(base URL from the settings)")
            kind = link.seen_kinds.get(url, "not contacted yet")
            lines.append(f" {mark} {name.ljust(width)}  {url}  {kind}")
        lines.append("/profile NAME switches; the conversation stays.")
        return CommandResult("\n".join(lines))
    if " " in args:
        raise UsageError
    problem = await settings.use_profile(args)
    if problem is not None:
        return result_of(problem)
    connected = await link.reconnect()
    return CommandResult(f"Profile {args!r} in use. {connected.text}", style=connected.style)
