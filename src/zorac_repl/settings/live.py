"""The settings in force while the REPL runs: listing, reading and changing them live.

``/config set`` validates a value, saves it to the config file and puts it in force;
the ``Change`` it returns goes to ``ChatParts.apply``, so the parts react at once (a new
client, a new token counter). A value set by a flag or the environment still wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zorac_repl.errors import ConfigError
from zorac_repl.settings.profiles import read_profiles
from zorac_repl.settings.table import (
    SETTINGS,
    Profile,
    Settings,
    Source,
    env_override,
    load_settings,
    mask_headers,
    mask_secret,
    parse_value,
    read_config_file,
    spec_for,
    write_config_value,
)
from zorac_repl.settings.values import parse_size, size_text

__all__ = ["Change", "LiveSettings", "Saved", "SettingRow"]


@dataclass(frozen=True, slots=True)
class Change:
    """The settings before and after a change; ``ChatParts.apply`` makes the parts follow."""

    old: Settings
    new: Settings


@dataclass(frozen=True, slots=True)
class Saved:
    """What ``/config set`` did: saved the value, and either put it in force (``change``)
    or not, because a flag or a variable sets it (``overridden_by``)."""

    key: str
    change: Change | None
    overridden_by: str | None = None


@dataclass(frozen=True, slots=True)
class SettingRow:
    """One setting as ``/config`` shows it: its key, its value (masked) and its source."""

    key: str
    value: str
    source: Source


class LiveSettings:
    """The current ``Settings`` and the config file they are saved to.

    Changes return a ``Change``; nothing here calls anyone back. Whoever changed a setting
    hands the ``Change`` to ``ChatParts.apply``, the one place the parts follow it.

    Args:
        current: resolved at start (flags, environment, file, defaults).
        config_path: where ``/config set`` saves.
        environ: the environment, to tell which settings it overrides.
    """

    def __init__(self, current: Settings, config_path: Path, environ: Mapping[str, str]) -> None:
        self.current = current
        self.config_path = config_path
        self.environ = environ
        self.profile: str | None = None  # the server profile in use
        self._flags: Mapping[str, str] = {}

    def remember_start(self, flags: Mapping[str, str], profile: str | None) -> None:
        """The flags and profile of the start, to resolve settings again (``/profile``)."""
        self._flags, self.profile = dict(flags), profile

    def profiles(self) -> dict[str, Profile]:
        """The profiles in the config file as it is now."""
        return read_profiles(self.config_path)[0]

    def use_profile(self, name: str) -> Change:
        """Put the profile ``name`` in force: settings resolved again, flags still winning.

        Raises:
            ConfigError: there is no such profile, or one of its values is not accepted;
                nothing changed.
        """
        profiles = self.profiles()
        if name not in profiles:
            known = ", ".join(profiles) or f'none (add "profiles" to {self.config_path})'
            raise ConfigError(f"There is no profile {name!r}; profiles: {known}.")
        file_values, _ = read_config_file(self.config_path)
        new = load_settings(self.environ, self._flags, file_values, profiles[name])
        old, self.current, self.profile = self.current, new, name
        return Change(old, new)

    def found_on_server(self, key: str, value: object) -> None:
        """A value the server told us (the model), shown with the source ``server``."""
        self.current = _with(self.current, key, value, "server")

    def use_for_session(self, key: str, value: object) -> Change:
        """Put ``value`` in force for this run only (source ``session``); nothing is saved."""
        old = self.current
        self.current = _with(old, key, value, "session")
        return Change(old, self.current)

    def forget_server_value(self, key: str, empty: object) -> None:
        """Drop a value the server told us, so it is asked again (``/reconnect``)."""
        if self.current.source_of(spec_for(key).key) == "server":
            self.current = _with(self.current, key, empty, "default")

    def shown_value(self, key: str) -> str:
        """The value in force as the user should see it: secrets masked, empties named."""
        spec = spec_for(key)
        value = getattr(self.current, spec.field)
        if spec.key == "HEADERS":
            return mask_headers(value)
        if spec.is_secret:
            return mask_secret(str(value))
        if spec.key == "VLLM_BASE_URL":
            return self.current.shown_base_url
        if spec.parse is parse_size:
            return size_text(int(value))  # 64M, not 67108864
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if spec.key == "SYSTEM_PROMPT" and not value:
            return "(built-in)"
        if value == "":
            return "(not set)"
        return str(value)

    def row(self, key: str) -> SettingRow:
        """One setting as ``/config`` shows it.

        Raises:
            ConfigError: no such setting.
        """
        spec = spec_for(key)
        return SettingRow(spec.key, self.shown_value(spec.key), self.current.source_of(spec.key))

    def rows(self) -> list[SettingRow]:
        """Every setting, in the table's order."""
        return [self.row(spec.key) for spec in SETTINGS]

    def change(self, key: str, text: str) -> Saved:
        """Validate ``text``, save it, and put it in force unless a flag or $VAR wins.

        Raises:
            ConfigError: no such setting, or a value it does not accept; nothing changed.
            StoreError: the config file could not be written; nothing changed.
        """
        spec = spec_for(key)
        value = parse_value(spec, text, spec.key)
        write_config_value(self.config_path, spec.key, text.strip())
        overridden = env_override(spec, self.environ)
        if overridden or self.current.source_of(spec.key) == "flag":
            winner = f"${overridden}" if overridden else "a command-line flag"
            return Saved(spec.key, None, winner)
        old = self.current
        self.current = _with(old, spec.key, value, "file")
        return Saved(spec.key, Change(old, self.current))


def _with(settings: Settings, key: str, value: object, source: Source) -> Settings:
    """``settings`` with the setting ``key`` set to ``value``, from ``source``."""
    spec = spec_for(key)
    # The value was parsed by the setting's own parser, so it has its field's type.
    changes: dict[str, Any] = {spec.field: value}
    return replace(settings, **changes, sources={**settings.sources, spec.key: source})
