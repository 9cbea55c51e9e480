"""The input in the user's editor: ``$VISUAL``, else ``$EDITOR``, else a usual one.

Ctrl-X Ctrl-E and ``/editor`` both come here. A large paste's placeholder is expanded for
the editor and collapsed again in the returned draft. The editor is run here rather than
by prompt_toolkit's ``Buffer.open_in_editor``, which says nothing when the editor is
missing or fails: each of those is one line, naming the variable to fix, and the input
is left as it was.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping

from prompt_toolkit.application import get_app, run_in_terminal
from prompt_toolkit.buffer import Buffer
from prompt_toolkit.document import Document

from zorac_repl.repl.large_paste import PasteStore

__all__ = ["NO_EDITOR", "edit_in_editor", "editor_command"]

NO_EDITOR = (
    "No editor found: set $VISUAL or $EDITOR (e.g. export EDITOR=nano) to edit the input in it."
)
# What is tried when neither variable is set, as prompt_toolkit does.
_FALLBACKS = ("/usr/bin/editor", "/usr/bin/nano", "/usr/bin/pico", "/usr/bin/vi", "/usr/bin/emacs")


def editor_command(environ: Mapping[str, str] = os.environ) -> tuple[list[str], str]:
    """The editor to run, and where it came from (``$EDITOR``); or ``[]`` and the line
    that says why there is none."""
    for name in ("VISUAL", "EDITOR"):
        command = environ.get(name, "").strip()
        if not command:
            continue
        try:
            words = shlex.split(command)
        except ValueError:
            words = []
        if not words or shutil.which(words[0]) is None:
            return [], (
                f"${name} is {command!r}, which is not a program that can be run: set it to "
                f"an editor (e.g. export {name}=nano)."
            )
        return words, f"${name}"
    for path in _FALLBACKS:
        if os.access(path, os.X_OK):
            return [path], path
    return [], NO_EDITOR


def edit_in_editor(buffer: Buffer, pastes: PasteStore, say: Callable[[str], None]) -> None:
    """Open ``buffer``'s text in the editor; what is saved comes back as the draft."""
    command, origin = editor_command()
    if not command:
        say(origin)
        return
    get_app().create_background_task(_edit(buffer, pastes, command, origin, say))


async def _edit(
    buffer: Buffer,
    pastes: PasteStore,
    command: list[str],
    origin: str,
    say: Callable[[str], None],
) -> None:
    descriptor, path = tempfile.mkstemp(prefix="zorac-", suffix=".md")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(pastes.expand(buffer.text))

        def run() -> int:
            return subprocess.call([*command, path])

        try:
            code = await run_in_terminal(run, in_executor=True)
        except OSError as exc:
            say(f"The editor {origin} could not be started ({exc.strerror or exc}).")
            return
        if code != 0:
            say(
                f"The editor ({origin}: {shlex.join(command)}) exited with code {code}; the "
                "input was left as it was."
            )
            return
        text = await asyncio.to_thread(_read, path)
        text = pastes.collapse(text.removesuffix("\n"))
        buffer.document = Document(text, cursor_position=len(text))
    finally:
        os.unlink(path)


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as file:
        return file.read()
