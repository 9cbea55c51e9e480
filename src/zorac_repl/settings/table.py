"""Settings: one frozen object resolved from flags, the environment, the config file and defaults.

Every setting is declared once in ``SETTINGS``: its key, where it comes from, how its text
is parsed and checked, its help line and, where they can be listed, its accepted values.
``--help``, ``/config``, completion and validation all come from that table, so they
cannot drift apart. The config file is JSON (``config.json`` in the config directory),
written atomically with mode 0600 because it may hold the API key.
"""

from __future__ import annotations

import dataclasses
import json
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from zorac_repl.errors import ConfigError, StoreError
from zorac_repl.settings.connection import Connection, resolve_api_key, shown_url
from zorac_repl.settings.specs import SETTINGS, SettingSpec, spec_by_key, spec_for
from zorac_repl.settings.values import (
    Effort,
    ReasoningMode,
    Thinking,
    Vision,
    parse_headers,
)

__all__ = [
    "SETTINGS",
    "Profile",
    "SettingSpec",
    "Settings",
    "Source",
    "as_text",
    "load_settings",
    "mask_headers",
    "mask_secret",
    "parse_headers",
    "parse_value",
    "read_config_file",
    "spec_by_key",
    "spec_for",
    "write_config_value",
]

# "session": set by a command for this run only (``/model``), never saved; "demo": the
# built-in demo server's own values (``--demo``).
Source = Literal["flag", "env", "profile", "file", "server", "session", "demo", "default"]


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, resolved. Change one with ``dataclasses.replace``."""

    base_url: str = "http://localhost:8000/v1"
    api_key: str = ""
    api_key_file: str = ""
    api_key_command: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    ca_bundle: str = ""
    insecure: bool = False
    proxy: str = ""
    model: str = ""
    temperature: float = 0.1
    max_output_tokens: int = 4000
    max_input_tokens: int = 12000
    keep_recent_messages: int = 6
    stall_timeout: float = 120.0
    max_answer_bytes: int = 64 * 1024**2
    max_event_bytes: int = 4 * 1024**2
    max_error_bytes: int = 64 * 1024
    vision: Vision = "auto"
    max_images: int = 4
    image_max_side: int = 1024
    attach_max_files: int = 500
    attach_max_bytes: int = 4 * 1024**2
    stream: bool = True
    code_theme: str = "monokai"
    tiktoken_encoding: str = "cl100k_base"
    system_prompt: str = ""
    reasoning: ReasoningMode = "fold"
    thinking: Thinking = "auto"
    reasoning_effort: Effort = "auto"
    log: bool = True
    tools: bool = True
    tool_rounds: int = 10
    tool_timeout: float = 60.0
    tool_result_max: int = 32 * 1024
    sources: Mapping[str, Source] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def shown_base_url(self) -> str:
        """The server's URL as it may be shown or written: a password in it is masked."""
        return shown_url(self.base_url)

    def connection(self) -> Connection:
        """What the HTTP client is built from: headers, TLS trust, proxy."""
        return Connection(self.headers, self.ca_bundle, self.insecure, self.proxy)

    def api_key_now(self) -> str:
        """The API key: given, else from its file, else from its command (run now).

        Raises:
            ConfigError: the file or the command failed.
        """
        return resolve_api_key(self.api_key, self.api_key_file, self.api_key_command)

    def source_of(self, key: str) -> Source:
        """Where the setting named ``key`` came from."""
        return self.sources.get(key, "default")


def parse_value(spec: SettingSpec, text: str, origin: str) -> object:
    """``text`` as the value of ``spec``.

    Raises:
        ConfigError: one line naming ``origin`` and the accepted form.
    """
    try:
        return spec.parse(text)
    except ValueError as exc:
        if spec.key == "HEADERS":
            raise ConfigError(f"{origin}: {exc}.") from None  # names the header, not its value
        shown = "(hidden)" if spec.is_secret else repr(text)
        raise ConfigError(f"{origin}: {shown} is not valid; expected {exc}.") from None


def env_override(spec: SettingSpec, environ: Mapping[str, str]) -> str | None:
    """The environment variable that sets ``spec``, if one is set."""
    for name in spec.env:
        text = environ.get(name)
        if text is not None and text.strip() != "":
            return name
    return None


def load_settings(
    environ: Mapping[str, str],
    flags: Mapping[str, str],
    file_values: Mapping[str, str] | None = None,
    profile: Profile | None = None,
) -> Settings:
    """Resolve every setting: flags, the profile, the environment, the config file, defaults.

    A profile is chosen on purpose (``-p``, ``ZORAC_PROFILE``, ``default_profile``), so it
    outranks the environment; a flag still outranks it.

    Args:
        environ: the process environment (tests pass a dict).
        flags: setting key → text given on the command line.
        file_values: setting key → text from the config file (already checked).
        profile: the server profile in use, if any.

    Raises:
        ConfigError: a value is not accepted; the message names where it came from.
    """
    # Each value comes from its own setting's parser, so it has its field's type.
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    for spec in SETTINGS:
        if spec.key in flags:
            values[spec.field] = parse_value(spec, flags[spec.key], f"{spec.flag}")
            sources[spec.key] = "flag"
            if spec.key == "HEADERS" and profile is not None and "HEADERS" in profile.values:
                # -H adds to the profile's headers (a gateway's token stays); same name: -H.
                given = {name.lower() for name, _ in values[spec.field]}
                kept = parse_headers(profile.values["HEADERS"])
                values[spec.field] = (
                    tuple(pair for pair in kept if pair[0].lower() not in given)
                    + values[spec.field]
                )
            continue
        if profile is not None and spec.key in profile.values:
            values[spec.field] = parse_value(
                spec, profile.values[spec.key], f"{spec.key} in the profile {profile.name!r}"
            )
            sources[spec.key] = "profile"
            continue
        name = env_override(spec, environ)
        if name is not None:
            values[spec.field] = parse_value(spec, environ[name], f"${name}")
            sources[spec.key] = "env"
        elif file_values and spec.key in file_values:
            values[spec.field] = parse_value(spec, file_values[spec.key], "config file")
            sources[spec.key] = "file"
    return Settings(**values, sources=sources)


@dataclass(frozen=True, slots=True)
class Profile:
    """A named server in the config file: its settings, as text by setting key."""

    name: str
    values: Mapping[str, str]


def read_config_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """The settings saved in ``path``, and a warning line for each problem found.

    A bad entry is skipped with a warning rather than stopping the program: the file is
    the user's, and one typo must not lock them out.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"Cannot read the config file {path} ({exc}); using defaults."]
    warnings = []
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.append(
                f"The config file {path} can be read by other users; it may "
                f"hold your API key. Fix it with: chmod 600 {path}"
            )
    except OSError:
        pass
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [
            f"The config file {path} is not valid JSON ({exc.msg}, line {exc.lineno});"
            " its settings are ignored until it is fixed."
        ]
    except RecursionError:
        return {}, [
            f"The config file {path} is nested too deeply to read; its settings are "
            "ignored until it is fixed."
        ]
    if not isinstance(raw, dict):
        return {}, [f"The config file {path} is not a JSON object; its settings are ignored."]
    values: dict[str, str] = {}
    for key, value in raw.items():
        if key in ("profiles", "default_profile", "mcpServers"):
            continue  # read by profiles.read_profiles, and tools.config
        spec = spec_by_key(str(key))
        if spec is None:
            warnings.append(f"The config file {path} has an unknown setting {key}; ignored.")
            continue
        text_value = as_text(value)
        try:
            parse_value(spec, text_value, f"{spec.key} in {path}")
        except ConfigError as exc:
            warnings.append(f"{exc} Ignored.")
            continue
        values[spec.key] = text_value
    return values, warnings


def as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_config_value(path: Path, key: str, text: str | None) -> None:
    """Save ``key`` as ``text`` in the config file (``None`` removes it), atomically, 0600.

    Unknown or unreadable content in the file is never thrown away: such a file is left
    alone and the write refused.

    Raises:
        StoreError: the file could not be read back or written.
    """
    from zorac_repl.atomic_file import write_atomically

    try:
        original = path.read_text(encoding="utf-8")
        current = json.loads(original)
    except FileNotFoundError:
        original, current = "", {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise StoreError(
            f"Not saved: the config file {path} cannot be read "
            f"({'nested too deeply' if isinstance(exc, RecursionError) else exc}); "
            "fix or remove it first."
        ) from None
    if not isinstance(current, dict):
        raise StoreError(
            f"Not saved: the config file {path} is not a JSON object; fix or remove it first."
        )
    if text is None:
        current.pop(key, None)
    else:
        current[key] = text
    # The file may be written by hand: its order and its indent stay as they were.
    write_atomically(path, json.dumps(current, indent=_indent_of(original)) + "\n")


def _indent_of(text: str) -> int:
    """The indent a JSON file's first nested line uses (2 for a new file)."""
    found = re.search(r"\n( +)\S", text)
    return len(found.group(1)) if found else 2


def mask_headers(headers: tuple[tuple[str, str], ...]) -> str:
    """Headers as they may be shown: names, and values masked like keys."""
    if not headers:
        return "(not set)"
    return "; ".join(f"{name}: {mask_secret(value)}" for name, value in headers)


def mask_secret(value: str) -> str:
    """Show a secret by at most its last four characters, fewer for a short one: enough
    to tell two keys apart (``…9f2c``), never enough to guess one."""
    if not value:
        return "(not set)"
    shown = 4 if len(value) >= 16 else 2 if len(value) >= 10 else 0
    return "…" + value[-shown:] if shown else f"(set, {len(value)} characters)"
