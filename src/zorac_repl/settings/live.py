"""The settings in force while the REPL runs: listing, reading and changing them live.

``/config set`` validates a value, saves it to the config file, and hands the new
``Settings`` to whoever must react (a new client, a new token counter): changes take
effect at once. A value set by a flag or the environment still wins, and says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from pathlib import Path

from zorac_repl.errors import ConfigError, StoreError
from zorac_repl.notice import Notice
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

__all__ = ["LiveSettings", "SettingsChanged"]

# Told the old and the new settings after a change, before the change is reported.
SettingsChanged = Callable[[Settings, Settings], Awaitable[None]]


class LiveSettings:
    """The current ``Settings`` and the config file they are saved to.

    Args:
        current: resolved at start (flags, environment, file, defaults).
        config_path: where ``/config set`` saves.
        environ: the environment, to tell which settings it overrides.
    """

    def __init__(self, current: Settings, config_path: Path, environ: Mapping[str, str]) -> None:
        self.current = current
        self.config_path = config_path
        self.environ = environ
        # Settings whose value in force is worked out elsewhere (the budget from the
        # server's context length): key -> (value shown, where it came from).
        self.derived: dict[str, Callable[[], tuple[str, Source]]] = {}
        self.on_change: SettingsChanged | None = None
        self.profile: str | None = None  # the server profile in use
        self._flags: Mapping[str, str] = {}

    def remember_start(self, flags: Mapping[str, str], profile: str | None) -> None:
        """The flags and profile of the start, to resolve settings again (``/profile``)."""
        self._flags, self.profile = dict(flags), profile

    def profiles(self) -> dict[str, Profile]:
        """The profiles in the config file as it is now."""
        return read_profiles(self.config_path)[0]

    async def use_profile(self, name: str) -> Notice | None:
        """Put the profile ``name`` in force: settings resolved again, flags still winning.

        Returns a line when it cannot (unknown profile, a value not accepted).
        """
        profiles = self.profiles()
        if name not in profiles:
            known = ", ".join(profiles) or f'none (add "profiles" to {self.config_path})'
            return Notice(
                f"There is no profile {name!r}; profiles: {known}. Nothing was changed.", "red"
            )
        file_values, _ = read_config_file(self.config_path)
        try:
            new = load_settings(self.environ, self._flags, file_values, profiles[name])
        except ConfigError as exc:
            return Notice(f"{exc} Nothing was changed.", "red")
        old, self.current, self.profile = self.current, new, name
        if self.on_change is not None:
            await self.on_change(old, new)
        return None

    def found_on_server(self, key: str, value: object) -> None:
        """A value the server told us (the model), shown with the source ``server``."""
        spec = spec_for(key)
        self.current = replace(
            self.current,
            **{spec.field: value},  # type: ignore[arg-type]
            sources={**self.current.sources, spec.key: "server"},
        )

    async def use_for_session(self, key: str, value: object) -> None:
        """Put ``value`` in force for this run only (source ``session``); nothing is saved."""
        spec = spec_for(key)
        old = self.current
        self.current = replace(
            old,
            **{spec.field: value},  # type: ignore[arg-type]
            sources={**old.sources, spec.key: "session"},
        )
        if self.on_change is not None:
            await self.on_change(old, self.current)

    def forget_server_value(self, key: str, empty: object) -> None:
        """Drop a value the server told us, so it is asked again (``/reconnect``)."""
        spec = spec_for(key)
        if self.current.source_of(spec.key) == "server":
            self.current = replace(
                self.current,
                **{spec.field: empty},  # type: ignore[arg-type]
                sources={**self.current.sources, spec.key: "default"},
            )

    def shown_value(self, key: str) -> str:
        """The value in force as the user should see it: secrets masked, empties named."""
        spec = spec_for(key)
        if spec.key in self.derived:
            return self.derived[spec.key]()[0]
        value = getattr(self.current, spec.field)
        if spec.key == "HEADERS":
            return mask_headers(value)
        if spec.is_secret:
            return mask_secret(str(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if spec.key == "SYSTEM_PROMPT" and not value:
            return "(built-in)"
        if value == "":
            return "(not set)"
        return str(value)

    def source(self, key: str) -> Source:
        spec = spec_for(key)
        if spec.key in self.derived:
            return self.derived[spec.key]()[1]
        return self.current.source_of(spec.key)

    def listing(self) -> Notice:
        """Every setting with its value and source, and where they are saved."""
        width = max(len(spec.key) for spec in SETTINGS)
        lines = []
        for spec in SETTINGS:
            value = self.shown_value(spec.key).replace("\n", "⏎ ")
            if len(value) > 60:
                value = value[:59] + "…"
            lines.append(f"{spec.key.ljust(width)}  {value}  [{self.source(spec.key)}]")
        lines.append(f"Saved settings: {self.config_path}")
        return Notice("\n".join(lines))

    def describe(self, key: str) -> Notice:
        try:
            spec = spec_for(key)
        except ConfigError as exc:
            return Notice(str(exc), "red")
        return Notice(f"{spec.key} = {self.shown_value(spec.key)}  [{self.source(spec.key)}]")

    async def change(self, key: str, text: str) -> Notice:
        """Validate ``text``, save it, and put it in force unless a flag or $VAR wins."""
        try:
            spec = spec_for(key)
            value = parse_value(spec, text, spec.key)
        except ConfigError as exc:
            return Notice(f"{exc} Nothing was changed.", "red")
        try:
            write_config_value(self.config_path, spec.key, text.strip())
        except StoreError as exc:
            return Notice(str(exc), "red")
        overridden = env_override(spec, self.environ)
        if overridden or self.current.source_of(spec.key) == "flag":
            winner = f"${overridden}" if overridden else "a command-line flag"
            return Notice(
                f"Saved {spec.key} to the config file, but {winner} sets it and still wins; "
                f"it stays {self.shown_value(spec.key)}.",
                "yellow",
            )
        old = self.current
        self.current = replace(
            old,
            **{spec.field: value},  # type: ignore[arg-type]
            sources={**old.sources, spec.key: "file"},
        )
        if self.on_change is not None:
            await self.on_change(old, self.current)
        return Notice(f"{spec.key} = {self.shown_value(spec.key)} (saved, in effect now)", "green")
