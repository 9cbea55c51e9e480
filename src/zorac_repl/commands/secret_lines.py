"""Input lines that hold a secret (``/config set VLLM_API_KEY …``): masked, never in history."""

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


def is_secret_line(line: str) -> bool:
    """True for a ``/config set`` of a secret setting: it must stay out of input history."""
    return secret_value_start(line) is not None
