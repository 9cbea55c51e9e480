"""Commands that act on the server: ``/reconnect``, ``/model``, ``/profile``."""

from __future__ import annotations

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, UsageError, no_arguments
from zorac_repl.errors import ZoracError
from zorac_repl.server.link import ServerLink

__all__ = ["model", "profile", "reconnect"]


async def reconnect(link: ServerLink, args: str) -> CommandResult:
    no_arguments(args)
    try:
        elapsed = await link.reconnect()
    except ZoracError as exc:
        return CommandResult(str(exc), style="red")
    return CommandResult(_connected(link, elapsed), style="green")


def _connected(link: ServerLink, elapsed: float) -> str:
    return f"Connected to {link.described()} ({elapsed * 1000:.0f} ms)."


async def model(parts: ChatParts, args: str) -> CommandResult:
    """``/model [ID]``: the server's models with their context length, or switch."""
    if " " in args:
        raise UsageError
    if args:
        return await _switch(parts, args)
    link = parts.link
    try:
        models = await link.list_models()
    except ZoracError as exc:
        return CommandResult(str(exc), style="red")
    current = parts.settings.current.model
    width = max(len(found.id) for found in models)
    lines = [f"Models at {parts.settings.current.shown_base_url}:"]
    for found in models:
        mark = "*" if found.id == current else " "
        length = (
            f"context {found.max_model_len} tokens" if found.max_model_len else "context not given"
        )
        lines.append(f" {mark} {found.id.ljust(width)}  {length}")
    lines.append("/model ID switches.")
    return CommandResult("\n".join(lines))


async def _switch(parts: ChatParts, model_id: str) -> CommandResult:
    try:
        chosen = await parts.use_model(model_id)
    except ZoracError as exc:
        return CommandResult(f"{exc} The model was not changed.", style="red")
    window = parts.link.max_model_len
    length = f" (context {window} tokens)" if window else ""
    return CommandResult(
        f"Now talking to {chosen.id}{length}, from the next message on; "
        "for this run only (VLLM_MODEL in /config makes it stick).",
        style="green",
    )


async def profile(parts: ChatParts, args: str) -> CommandResult:
    """``/profile [NAME]``: the config file's server profiles, or switch to one live."""
    settings, link = parts.settings, parts.link
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
    before = settings.current
    try:
        elapsed = await parts.use_profile(args)
    except ZoracError as exc:
        if settings.current is before:  # refused: no such profile, or a bad value in it
            return CommandResult(f"{exc} Nothing was changed.", style="red")
        return CommandResult(f"Profile {args!r} in use. {exc}", style="red")
    return CommandResult(f"Profile {args!r} in use. {_connected(link, elapsed)}", style="green")
