"""Commands that act on the settings: ``/config list | get KEY | set KEY VALUE``."""

from __future__ import annotations

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, Table, UsageError
from zorac_repl.commands.wording import origin_text
from zorac_repl.errors import ConfigError, StoreError
from zorac_repl.settings.live import SettingRow

__all__ = ["config"]

# Longer values are cut in /config list; /config get shows them whole.


async def config(parts: ChatParts, args: str) -> CommandResult:
    action, _, rest = args.partition(" ")
    action, rest = action.lower(), rest.strip()
    if action == "list" and not rest:
        return _listing(parts)
    if action == "get" and rest and " " not in rest:
        try:
            row = _row(parts, rest)
        except ConfigError as exc:
            return CommandResult(str(exc), style="red")
        return CommandResult(f"{row.key} = {row.value}  [{row.source}]")
    if action == "set":
        key, _, value = rest.partition(" ")
        if key:
            return await _set(parts, key, value)
    raise UsageError


def _row(parts: ChatParts, key: str) -> SettingRow:
    """A setting as shown; the budget in force is the one the chat uses, wherever from."""
    row = parts.settings.row(key)
    if row.key == "MAX_INPUT_TOKENS":
        budget = parts.budget
        return SettingRow(row.key, f"{budget.limit}{origin_text(budget.origin())}", budget.source)
    return row


def _listing(parts: ChatParts) -> CommandResult:
    rows = [_row(parts, row.key) for row in parts.settings.rows()]
    cells = tuple((row.key, f"[{row.source}]", row.value.replace("\n", "⏎ ")) for row in rows)
    return CommandResult(
        tables=(Table("", cells, f"Saved settings: {parts.settings.config_path}"),)
    )


async def _set(parts: ChatParts, key: str, text: str) -> CommandResult:
    try:
        saved = parts.settings.change(key, text)
    except ConfigError as exc:
        return CommandResult(f"{exc} Nothing was changed.", style="red")
    except StoreError as exc:
        return CommandResult(str(exc), style="red")
    if saved.change is None:
        return CommandResult(
            f"Saved {saved.key} to the config file, but {saved.overridden_by} sets it and still "
            f"wins; it stays {parts.settings.shown_value(saved.key)}.",
            style="yellow",
        )
    await parts.apply(saved.change)
    return CommandResult(
        f"{saved.key} = {parts.settings.shown_value(saved.key)} (saved, in effect now)",
        style="green",
    )
