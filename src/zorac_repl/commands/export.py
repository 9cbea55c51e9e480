"""``/export [PATH]``: the conversation as a Markdown file, for reading or sharing.

A header with the model, the server and the date; then each turn under its role, an
answer with its figures and its thinking folded in a ``<details>`` block. The default
file is ``zorac-YYYYMMDD-HHMM.md`` in the current directory; nothing is overwritten
silently (a path that exists needs a ``!`` at its end).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import assert_never

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, write_new_file
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta, AssistantMessage, ToolMessage, UserMessage
from zorac_repl.conversation.parts import fenced
from zorac_repl.paths import free_path
from zorac_repl.render.safe_text import visible_controls
from zorac_repl.settings.table import Settings

__all__ = ["export", "to_markdown"]


def to_markdown(
    conversation: Conversation, settings: Settings, now: float, server: str | None = None
) -> str:
    """The conversation as Markdown; ``server`` names the server when the settings do not
    (a conversation read back from the log)."""
    lines = [
        "# zorac-repl conversation",
        "",
        f"- Model: {visible_controls(settings.model) or '(not known)'}",
        f"- Server: {visible_controls(server) if server else settings.shown_base_url}",
        f"- Exported: {time.strftime('%Y-%m-%d %H:%M', time.localtime(now))}",
        "",
    ]
    if conversation.own_system_prompt is not None:
        lines += ["## System prompt", "", conversation.own_system_prompt, ""]
    if conversation.summary:
        lines += ["## Summary of the earlier conversation", "", conversation.summary, ""]
    for message in conversation.messages:
        match message:
            case UserMessage():
                lines += ["## You", "", message.text, ""]
                if message.attachments:  # by name and size: never the bytes
                    said = message.attachment_line()
                    lines += [f"*{said[0].upper()}{said[1:]}*", ""]
            case AssistantMessage():
                meta = message.meta or AnswerMeta()
                lines += ["## Assistant", ""]
                figures = _figures(meta)
                if figures:
                    lines += [f"*{figures}*", ""]
                if meta.thinking:
                    detail = ", ".join(meta.thought_figures())
                    summary = f"Thinking ({detail})" if detail else "Thinking"
                    lines += ["<details>", f"<summary>{summary}</summary>", ""]
                    lines += [meta.thinking, "", "</details>", ""]
                if message.content:
                    lines += [message.content, ""]
                for call in message.tool_calls:
                    lines += [f"*Calls `{visible_controls(call.name)}`:*", ""]
                    lines += [fenced(visible_controls(call.arguments) or "{}"), ""]
            case ToolMessage():
                seconds = f", {message.seconds:.1f}s" if message.seconds is not None else ""
                lines += [
                    f"<details>\n<summary>{visible_controls(message.server)} "
                    f"{visible_controls(message.tool)}: {message.status}{seconds}</summary>",
                    "",
                    fenced(visible_controls(message.content)),
                    "",
                    "</details>",
                    "",
                ]
            case _:
                assert_never(message)
    return "\n".join(lines).rstrip() + "\n"


def _figures(meta: AnswerMeta) -> str:
    # The model's id comes from the server: `cat` of the file must not obey it.
    parts = [visible_controls(meta.model)] if meta.model is not None else []
    if meta.tokens is not None:
        parts.append(f"{meta.tokens} tokens")
    if meta.duration is not None:
        parts.append(f"{meta.duration:.1f}s")
    if meta.ttft is not None:
        parts.append(f"TTFT {meta.ttft:.2f}s")
    if meta.time is not None:
        parts.append(meta.time)
    return " · ".join(parts)


def _free_default(directory: Path, now: float) -> Path:
    return free_path(directory, f"zorac-{time.strftime('%Y%m%d-%H%M', time.localtime(now))}", ".md")


async def export(parts: ChatParts, args: str) -> CommandResult:
    conversation, settings = parts.conversation, parts.settings.current
    if not conversation.messages and not conversation.summary:
        return CommandResult("There is nothing to export yet.")
    now = time.time()
    overwrite = args.endswith("!")
    target = (
        Path(os.path.expanduser(args.removesuffix("!"))) if args else _free_default(Path.cwd(), now)
    )
    try:
        if target.is_dir():
            target = _free_default(target, now)
    except (OSError, ValueError):
        pass  # a name too long, or with a NUL: writing it says why
    problem = write_new_file(
        target, to_markdown(conversation, settings, now), overwrite, f"/export {args}"
    )
    return problem or CommandResult(
        f"Exported {len(conversation.messages)} messages to {target}.", style="dim"
    )
