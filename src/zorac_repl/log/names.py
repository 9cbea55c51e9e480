"""What a session's name may be, and the names with a meaning of their own.

A named session is a conversation in the log with a name (``log/saved.py``). This module
imports nothing heavy, so the command line can check ``--session NAME`` at once.
"""

from __future__ import annotations

import re

__all__ = ["DEFAULT_NAME", "LAST_USED", "check_name"]

DEFAULT_NAME = "default"  # the session a plain ``zorac-repl`` continues
LAST_USED = ""  # ``-c``: whichever conversation a REPL used last, named or not

# Names were file names once (sessions/NAME.json): the same rule keeps old names valid and
# keeps a name something a shell and a completion menu show plainly.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_name(name: str) -> str | None:
    """Why ``name`` cannot name a session, or ``None`` when it can."""
    if not _NAME.fullmatch(name) or ".." in name or name.endswith((".json", ".lock")):
        return (
            f"{name!r} cannot name a session: use up to 64 letters, digits, '-', '_' "
            "or '.', starting with a letter or digit."
        )
    return None
