"""How each setting's text becomes its value: the parsers of the ``SETTINGS`` table.

Each parser raises ``ValueError`` whose text names the accepted form ("a number from 0 to
2, e.g. 0.7"); ``config.parse_value`` turns that into one line naming where the value
came from. Where the accepted values can be listed, a ``choices`` function lists them,
for completion.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Literal, TypeVar

__all__ = [
    "EFFORT",
    "REASONING",
    "THINKING",
    "VISION",
    "Effort",
    "ReasoningMode",
    "Thinking",
    "Vision",
    "booleans",
    "code_themes",
    "encodings",
    "parse_bool",
    "parse_encoding",
    "parse_file",
    "parse_headers",
    "parse_pixels",
    "parse_positive_int",
    "parse_proxy",
    "parse_seconds",
    "parse_size",
    "parse_temperature",
    "parse_text",
    "parse_theme",
    "parse_url",
    "size_text",
]


def parse_url(text: str) -> str:
    value = text.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ValueError("an http:// or https:// URL, e.g. http://localhost:8000/v1")
    return value


def parse_temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("a number from 0 to 2, e.g. 0.7") from None
    if not 0.0 <= value <= 2.0:
        raise ValueError("a number from 0 to 2, e.g. 0.7")
    return value


def parse_positive_int(text: str) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError("a whole number above 0, e.g. 4000") from None
    if value <= 0:
        raise ValueError("a whole number above 0, e.g. 4000")
    return value


def parse_pixels(text: str) -> int:
    """A longest side in pixels, from 64 to 16384."""
    try:
        value = int(text.strip().lower().removesuffix("px").replace("_", ""))
    except ValueError:
        raise ValueError("a number of pixels from 64 to 16384, e.g. 1024") from None
    if not 64 <= value <= 16384:
        raise ValueError("a number of pixels from 64 to 16384, e.g. 1024")
    return value


def parse_seconds(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("s"))
    except ValueError:
        raise ValueError("a number of seconds above 0, e.g. 120") from None
    if not 0 < value <= 86400:
        raise ValueError("a number of seconds above 0, e.g. 120")
    return value


_SIZE = re.compile(r"(?P<number>\d+)\s*(?P<unit>[kmg]?)(?:i?b)?", re.IGNORECASE)
_UNIT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def parse_size(text: str) -> int:
    """A size in bytes: ``4194304``, ``4M``, ``64MiB``, ``512K``, ``1G`` (powers of 1024)."""
    found = _SIZE.fullmatch(text.strip().replace("_", ""))
    if found is None or int(found["number"]) <= 0:
        raise ValueError("a size above 0 in bytes, or with K, M or G, e.g. 4M")
    return int(found["number"]) * _UNIT[found["unit"].lower()]


def size_text(size: int) -> str:
    """``size`` as ``parse_size`` reads it, in the largest unit that divides it: ``4M``."""
    for unit in ("G", "M", "K"):
        scale = _UNIT[unit.lower()]
        if size % scale == 0:
            return f"{size // scale}{unit}"
    return str(size)


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("true or false (also 1/0, yes/no, on/off)")


def parse_text(text: str) -> str:
    return text.strip()


def code_themes() -> list[str]:
    from pygments.styles import get_all_styles

    return sorted(get_all_styles())


def parse_theme(text: str) -> str:
    value = text.strip()
    themes = code_themes()
    if value not in themes:
        import difflib

        close = difflib.get_close_matches(value, themes, n=3)
        hint = f" such as {', '.join(close)}" if close else ", e.g. monokai or friendly"
        raise ValueError(f"a Pygments style{hint}")
    return value


def encodings() -> list[str]:
    from zorac_repl.tokens import known_encodings

    return known_encodings()


def parse_encoding(text: str) -> str:
    value = text.strip()
    if value not in encodings():
        raise ValueError(f"a tiktoken encoding: {', '.join(encodings())}")
    return value


_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def parse_headers(text: str) -> tuple[tuple[str, str], ...]:
    """``Name: value`` lines (one per ``-H``, or newline-separated) as pairs."""
    headers = []
    lines = [line for line in text.splitlines() if line.strip()]
    for number, line in enumerate(lines, 1):
        # Which one failed, by its name or its place, never its value: it may be a secret.
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon:
            which = f"header {number} of {len(lines)}" if len(lines) > 1 else "the header"
            raise ValueError(
                f"{which} has no ':' between a name and a value, e.g. 'X-Api-Key: abc123' "
                "(its text is not shown: it may be a secret)"
            )
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(
                f"the header name {name!r} is not valid: letters, digits and '-', "
                "e.g. 'X-Api-Key: abc123'"
            )
        if "\r" in value:
            raise ValueError(f"the value of the header {name!r} holds a line break")
        headers.append((name, value.strip()))
    return tuple(headers)


def parse_file(text: str) -> str:
    value = os.path.expanduser(text.strip())
    if not os.path.isfile(value) or not os.access(value, os.R_OK):
        raise ValueError("a readable file")
    return value


def parse_proxy(text: str) -> str:
    value = text.strip()
    if not value:
        return ""
    if not value.startswith(("http://", "https://", "socks5://")):
        raise ValueError("a proxy URL, e.g. http://proxy.corp:3128")
    return value


def booleans() -> list[str]:
    return ["true", "false"]


_Choice = TypeVar("_Choice", bound=str)

# How a reasoning model's thinking is shown: folded to one line, shown dimmed, or hidden.
ReasoningMode = Literal["fold", "show", "hide"]
# Whether the model is asked to think (chat_template_kwargs.enable_thinking).
Thinking = Literal["auto", "on", "off"]
# Whether the model reads images: "auto" asks the server (server/vision.py).
Vision = Literal["auto", "yes", "no"]
# How hard it thinks (reasoning_effort); "auto" sends nothing.
Effort = Literal["auto", "low", "medium", "high"]


def one_of(
    values: Mapping[str, _Choice],
) -> tuple[Callable[[str], _Choice], Callable[[], list[str]]]:
    """A parser that accepts only ``values``' keys (any case), and their list for completion.

    ``values`` maps each text to itself typed as its ``Literal``, so a parsed value keeps
    its type without a cast.
    """

    def parse(text: str) -> _Choice:
        value = values.get(text.strip().lower())
        if value is None:
            raise ValueError(f"one of {', '.join(values)}")
        return value

    return parse, lambda: list(values)


_REASONING: dict[str, ReasoningMode] = {"fold": "fold", "show": "show", "hide": "hide"}
_THINKING: dict[str, Thinking] = {"auto": "auto", "on": "on", "off": "off"}
_EFFORT: dict[str, Effort] = {"auto": "auto", "low": "low", "medium": "medium", "high": "high"}
_VISION: dict[str, Vision] = {"auto": "auto", "yes": "yes", "no": "no"}
VISION = one_of(_VISION)
REASONING = one_of(_REASONING)
THINKING = one_of(_THINKING)
EFFORT = one_of(_EFFORT)
