"""How the parts' values are worded for the user: the budget, a loaded session.

The commands and both front ends say them the same way.
"""

from __future__ import annotations

from zorac_repl.chat.budget import BudgetOrigin, BudgetReport
from zorac_repl.log.saved import Loaded, Restored

__all__ = ["budget_lines", "loaded_line", "origin_text", "restored_lines"]

_COUNTED = {
    "tokenize": "exact, counted by the server (/tokenize)",
    "usage": "exact, from the server's last usage report",
}


def origin_text(origin: BudgetOrigin | None) -> str:
    """`` (context 8192 from llama.cpp b6000 /props less 4000 for the answer)``, or empty
    for a budget the user set."""
    if origin is None:
        return ""
    where = ""
    if origin.server and origin.found_in.startswith("its "):
        where = f" from {origin.server}'s {origin.found_in.removeprefix('its ')}"
    elif origin.server and origin.found_in:
        where = f" from {origin.server} {origin.found_in}"
    return f" (context {origin.window}{where} less {origin.answer_room} for the answer)"


def budget_lines(report: BudgetReport) -> list[str]:
    """``/tokens``: use, limit, how it was counted and where the limit is from."""
    used, limit = report.used, report.limit
    share = 100 * used / limit if limit else 0.0
    extra = []
    if report.has_system_prompt:
        extra.append("the system prompt")
    if report.has_summary:
        extra.append("a summary")
    included = f" (plus {' and '.join(extra)})" if extra else ""
    how = _COUNTED.get(report.counted, f"estimated locally ({report.method})")
    return [
        f"Tokens:    {used} of {limit} ({share:.1f}%), {max(0, limit - used)} left",
        f"Messages:  {report.messages}{included}",
        f"Counted:   {how}",
        f"Limit:     MAX_INPUT_TOKENS from {report.source}{origin_text(report.origin)}",
    ]


def loaded_line(loaded: Loaded, lead: str, after: str = "") -> str:
    """``Loaded previous session (4 messages, ~310 tokens).``, and a note when it was made
    with another server profile than the one in use."""
    text = f"{lead} ({loaded.messages} messages, ~{loaded.tokens} tokens){after}."
    if loaded.made_with is not None:
        current = (
            f"this run uses {loaded.in_use!r}" if loaded.in_use else "this run uses no profile"
        )
        text += (
            f" It was made with the profile {loaded.made_with!r} and {current}; "
            f"/profile {loaded.made_with} switches if you want."
        )
    return text


def restored_lines(restored: Restored) -> list[tuple[str, str]]:
    """What to say at start about the saved session: (text, style) lines."""
    lines = [(restored.note, "yellow")] if restored.note else []
    if restored.loaded is not None:
        lines.append((loaded_line(restored.loaded, "Loaded previous session"), "dim"))
    return lines
