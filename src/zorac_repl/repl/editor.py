"""The input in the user's editor: ``$VISUAL``, else ``$EDITOR``, through prompt_toolkit's own.

Ctrl-X Ctrl-E and ``/editor`` both come here. A large paste's placeholder is expanded for
the editor and collapsed again in the returned draft. prompt_toolkit says nothing when it
finds no editor, so that is checked first and told in one line.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Callable, Mapping

from prompt_toolkit.buffer import Buffer

from zorac_repl.repl.large_paste import PasteStore

__all__ = ["NO_EDITOR", "edit_in_editor", "editor_found"]

NO_EDITOR = (
    "No editor found: set $VISUAL or $EDITOR (e.g. export EDITOR=nano) to edit the input in it."
)
# What prompt_toolkit tries when neither variable is set.
_FALLBACKS = ("/usr/bin/editor", "/usr/bin/nano", "/usr/bin/pico", "/usr/bin/vi", "/usr/bin/emacs")


def editor_found(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether prompt_toolkit will find an editor to run."""
    for name in ("VISUAL", "EDITOR"):
        command = environ.get(name, "").strip()
        if command:
            try:
                program = shlex.split(command)[0]
            except (ValueError, IndexError):
                return False
            return shutil.which(program) is not None
    return any(os.access(path, os.X_OK) for path in _FALLBACKS)


def edit_in_editor(buffer: Buffer, pastes: PasteStore, say: Callable[[str], None]) -> None:
    """Open ``buffer``'s text in the editor; what is saved comes back as the draft."""
    if not editor_found():
        say(NO_EDITOR)
        return
    buffer.text = pastes.expand(buffer.text)

    def collapse(_task: object) -> None:
        buffer.text = pastes.collapse(buffer.text)

    buffer.open_in_editor().add_done_callback(collapse)
