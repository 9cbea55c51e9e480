"""``/attach`` and ``/detach``: files and images staged for the next message."""

from __future__ import annotations

import asyncio
import shlex
import threading
from pathlib import Path

from zorac_repl.attachments.images import PreparedImage
from zorac_repl.attachments.reading import Limits, Staging, TooMuch, read_paths
from zorac_repl.attachments.staged import Staged, short_count
from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, UsageError
from zorac_repl.conversation.parts import ImagePart, human_size
from zorac_repl.settings.table import Settings

__all__ = ["attach", "detach", "image_line", "limits_of", "stage", "staged_table"]


def limits_of(settings: Settings) -> Limits:
    return Limits(settings.attach_max_files, settings.attach_max_bytes, settings.image_max_side)


def image_line(prepared: PreparedImage) -> str:
    """``photo.jpg: 4032×3024 JPEG, 5.1 MB → 1024×768 JPEG, 182 KB, metadata removed``."""
    part = prepared.part
    width, height = prepared.original_size
    kind = "PNG" if part.media_type == "image/png" else "JPEG"
    return (
        f"{part.name}: {width}×{height} {prepared.original_format}, "
        f"{human_size(prepared.original_bytes)} → {part.width}×{part.height} {kind}, "
        f"{human_size(part.size)}, metadata removed"
    )


def staged_table(staged: Staged) -> Table:
    return Table(
        heading="Staged for the next message:",
        rows=tuple(staged.rows()),
        footer=f"{staged.summary()}. /detach N or /detach all unstages; sending carries them.",
    )


async def attach(parts: ChatParts, args: str) -> CommandResult:
    """``/attach PATH...`` stages files, globs and directories; bare, lists what is staged."""
    staged = parts.chat.staged
    if not args:
        if not len(staged):
            return CommandResult(
                "Nothing is staged. /attach PATH... stages files, globs, directories "
                "and images for the next message."
            )
        return CommandResult(tables=(staged_table(staged),))
    try:
        names = shlex.split(args)
    except ValueError:
        raise UsageError from None
    return await stage(parts, names)


async def stage(parts: ChatParts, names: list[str], spinner: bool = True) -> CommandResult:
    """Read ``names`` off the event loop and stage what can be sent (``-a`` at start-up
    too, where the prompt is already drawn and no ``spinner`` may take the screen)."""
    cancelled = threading.Event()
    staged = parts.chat.staged

    def read_and_count() -> Staging:
        staging = read_paths(names, Path.cwd(), limits_of(parts.settings.current), cancelled)
        staged.count_ahead(staging.parts)
        return staging

    work = asyncio.to_thread(read_and_count)
    try:
        if spinner:
            staging = await parts.runner.run(work, "Reading what to attach… (Ctrl+C cancels)")
        else:
            staging = await work
    except asyncio.CancelledError:
        cancelled.set()
        return CommandResult("Attaching cancelled; nothing new was staged.", style="yellow")
    except TooMuch as exc:
        return CommandResult(f"{exc} Nothing was staged.", style="red")
    again = staged.add(staging.parts)
    return CommandResult(await _told(parts, staging, again), style=_style(staging))


async def _told(parts: ChatParts, staging: Staging, again: list[str]) -> str:
    lines = [*staging.refused, *staging.notes, *map(image_line, staging.images)]
    staged = parts.chat.staged
    if staging.parts:
        count = len(staging.parts)
        tokens = sum(staged.tokens_of(part) for part in staging.parts)
        replaced = f" ({', '.join(again)} staged again, in place of the old)" if again else ""
        lines.append(
            f"Staged {count} attachment{'s' * (count != 1)} (~{short_count(tokens)} tokens)"
            f"{replaced}; now staged: {staged.summary()}."
        )
        if any(isinstance(part, ImagePart) for part in staging.parts):
            sees, how = await parts.link.sight()
            if sees is False:
                lines.append(
                    f"{parts.settings.current.model} reads no images ({how}): the image "
                    "will not be sent to it. Choose a vision model with /model, or set "
                    "VISION=yes if it can see."
                )
    elif not staging.refused:
        lines.append("Nothing to attach there.")
    return "\n".join(lines)


def _style(staging: Staging) -> str | None:
    if staging.parts:
        return "yellow" if staging.refused else None
    return "red" if staging.refused else "yellow"


async def detach(parts: ChatParts, args: str) -> CommandResult:
    """``/detach N`` or ``/detach all``."""
    staged = parts.chat.staged
    if not len(staged):
        return CommandResult("Nothing is staged.")
    if args.strip().lower() == "all":
        removed = staged.clear()
        return CommandResult(f"Unstaged all {len(removed)}; nothing is staged.")
    try:
        number = int(args)
    except ValueError:
        raise UsageError from None
    try:
        part = staged.remove(number)
    except IndexError:
        return CommandResult(
            f"There is no attachment {number}: {len(staged)} staged (/attach lists them).",
            style="red",
        )
    left = staged.summary() or "nothing"
    return CommandResult(f"Unstaged {part.name}; staged now: {left}.")
