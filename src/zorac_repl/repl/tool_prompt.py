"""The question before a tool call runs: ``y`` run it, ``n`` refuse it, ``a`` always run
this tool for the rest of the run, ``e`` edit the arguments in ``$VISUAL``/``$EDITOR``.

One key answers; Ctrl+C and Ctrl+D refuse. Edited arguments must be a JSON object, else
the question is asked again; they are shown before they run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.input.vt100 import cooked_mode
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from zorac_repl.chat.tool_use import Decision
from zorac_repl.render.printer import Printer
from zorac_repl.repl.editor import editor_command
from zorac_repl.tools.servers import ToolInfo
from zorac_repl.tools.shown import call_lines

__all__ = ["ask_about_call"]

_QUESTION = "Run it? [y]es [n]o [a]lways this tool [e]dit: "


async def ask_about_call(printer: Printer, tool: ToolInfo, arguments: dict[str, Any]) -> Decision:
    """Show the call and wait for the user's key."""
    edited = False
    while True:
        printer.say(call_lines(tool, arguments), "bold")
        key = await _one_key()
        if key == "y":
            return arguments if edited else "yes"
        if key == "a":
            return "always"
        if key != "e":
            return "no"
        changed = await _edit(arguments, printer)
        if changed is not None:
            arguments, edited = changed, True


async def _one_key() -> str:
    bindings = KeyBindings()

    def answer(key: str) -> None:
        @bindings.add(key)
        def _(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text(key.lower())  # the answer stays on screen
            event.app.exit(result=key.lower())

    for key in "ynaeYNAE":
        answer(key)

    @bindings.add("c-c")
    @bindings.add("c-d")
    def _refuse(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("n")
        event.app.exit(result="n")

    @bindings.add("<any>")
    def _ignore(event: KeyPressEvent) -> None:
        """Any other key does nothing: one of the four is needed."""

    session: PromptSession[str] = PromptSession(key_bindings=bindings)
    return await session.prompt_async(_QUESTION)


async def _edit(arguments: dict[str, Any], printer: Printer) -> dict[str, Any] | None:
    """The arguments as edited and saved; ``None`` (said) when they are not usable."""
    command, origin = editor_command()
    if not command:
        printer.say(origin, "yellow")
        return None
    descriptor, path = tempfile.mkstemp(prefix="zorac-tool-", suffix=".json")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(arguments, file, indent=2, ensure_ascii=False)
            file.write("\n")

        def run() -> int:
            with cooked_mode(sys.stdin.fileno()):
                return subprocess.call([*command, path])

        code = await asyncio.to_thread(run)
        if code != 0:
            printer.say(
                f"The editor ({origin}) exited with code {code}; nothing changed.", "yellow"
            )
            return None
        with open(path, encoding="utf-8", errors="replace") as file:
            text = file.read()
    except OSError as exc:
        printer.say(f"The editor {origin} could not be run ({exc.strerror or exc}).", "red")
        return None
    finally:
        os.unlink(path)
    try:
        edited = json.loads(text)
    except ValueError as exc:
        printer.say(f"The edited arguments are not JSON ({exc}); they were not used.", "red")
        return None
    if not isinstance(edited, dict):
        printer.say("The edited arguments are not a JSON object; they were not used.", "red")
        return None
    return edited
