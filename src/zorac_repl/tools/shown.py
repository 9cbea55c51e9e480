"""How a tool call and its result are shown: complete, but never a wall of text.

A call is its server, its tool and its arguments as indented JSON, every value whole
except a string longer than a few lines, which is folded to its start and its length.
A result is one line, like a folded thought: how it ended, its size and its time, and the
number ``/tool N`` shows it by. Both are model output: the printer neutralises control
characters.
"""

from __future__ import annotations

import json
from typing import Any

from zorac_repl.conversation.message import ToolMessage
from zorac_repl.tools.servers import ToolInfo

__all__ = ["call_lines", "result_line"]

_FOLD_AT = 400  # characters of one string value shown before it is folded


def _folded(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _FOLD_AT:
        return f"{value[:_FOLD_AT]}… ({len(value) - _FOLD_AT} more characters)"
    if isinstance(value, dict):
        return {key: _folded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_folded(item) for item in value]
    return value


def call_lines(tool: ToolInfo, arguments: dict[str, Any]) -> str:
    """``files · read_file`` and the arguments, indented, long values folded."""
    shown = json.dumps(_folded(arguments), indent=2, ensure_ascii=False) if arguments else "{}"
    return f"Tool call: {tool.server} · {tool.name}\n{shown}"


def result_line(result: ToolMessage, number: int) -> str:
    """``⚙ files read_file: ok, 1.2 KB in 0.3s · /tool 3 shows it``."""
    size = len(result.content)
    amount = f"{size} characters" if size < 1000 else f"{size / 1000:.1f}k characters"
    seconds = f" in {result.seconds:.1f}s" if result.seconds is not None else ""
    words = {
        "ok": "ok",
        "error": "the tool reported an error",
        "refused": "not run",
        "cancelled": "cancelled",
        "failed": "failed",
    }[result.status]
    return f"⚙ {result.server} {result.tool}: {words}, {amount}{seconds} · /tool {number} shows it"
