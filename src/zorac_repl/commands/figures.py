"""How commands word the parts' figures: where the budget comes from, and the budget itself."""

from __future__ import annotations

from zorac_repl.chat.budget import BudgetOrigin, BudgetReport

__all__ = ["budget_lines", "origin_text"]

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
