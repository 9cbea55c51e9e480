"""Input lines that hold a secret (``/config set VLLM_API_KEY …``, a base URL with a
password): masked or kept out of history."""

from __future__ import annotations

import re

from zorac_repl.settings.table import SETTINGS

__all__ = ["is_secret_line", "secret_value_start"]

_SECRET_SET = re.compile(r"\s*/config\s+set\s+(\S+)\s?", re.IGNORECASE)


def secret_value_start(line: str) -> int | None:
    """Where the value starts in a ``/config set`` of a secret setting, else ``None``."""
    found = _SECRET_SET.match(line)
    if found is None:
        return None
    key = found.group(1).upper()
    if not any(spec.is_secret and spec.key == key for spec in SETTINGS):
        return None
    return found.end()


# A URL with a password in it: ``http://user:pass@host``.
_PASSWORD_IN_URL = re.compile(r"://[^/@\s]*:[^/@\s]*@")


def is_secret_line(line: str) -> bool:
    """True for a ``/config set`` of a secret setting, or of a base URL that holds a
    password: it must stay out of input history."""
    if secret_value_start(line) is not None:
        return True
    found = _SECRET_SET.match(line)
    return (
        found is not None
        and found.group(1).upper() == "VLLM_BASE_URL"
        and _PASSWORD_IN_URL.search(line, found.end()) is not None
    )
