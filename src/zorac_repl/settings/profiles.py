"""Server profiles: named servers in the config file, each with its own settings.

``{"default_profile": "gpu-box", "profiles": {"gpu-box": {"base_url": ..., "api_key_command":
..., "headers": {...}}}}``. A profile's keys are the names people write (``base_url``,
``max_tokens``, ``headers`` as an object or a list of ``Name: value``) or any setting's
key; each value is checked as the setting's own, and a bad one is skipped with a warning.
"""

from __future__ import annotations

import json
from pathlib import Path

from zorac_repl.errors import ConfigError
from zorac_repl.settings.table import Profile, as_text, parse_value, spec_by_key

__all__ = ["read_profiles"]

# A profile's keys as people write them, for the setting each sets.
_PROFILE_KEYS = {
    "base_url": "VLLM_BASE_URL",
    "api_key": "VLLM_API_KEY",
    "model": "VLLM_MODEL",
    "api_key_file": "API_KEY_FILE",
    "api_key_command": "API_KEY_COMMAND",
    "headers": "HEADERS",
    "ca_bundle": "CA_BUNDLE",
    "insecure": "INSECURE",
    "proxy": "PROXY",
    "temperature": "TEMPERATURE",
    "max_tokens": "MAX_OUTPUT_TOKENS",
    "max_output_tokens": "MAX_OUTPUT_TOKENS",
    "max_input_tokens": "MAX_INPUT_TOKENS",
    "system_prompt": "SYSTEM_PROMPT",
}


def read_profiles(path: Path) -> tuple[dict[str, Profile], str | None, list[str]]:
    """The config file's ``profiles``, its ``default_profile``, and a line per problem.

    A profile entry that is not a setting, or whose value is not accepted, is skipped
    with a warning, like a bad entry at the top level.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}, None, []  # read_config_file reports the file's problems
    if not isinstance(raw, dict):
        return {}, None, []
    found: dict[str, Profile] = {}
    warnings: list[str] = []
    if "profiles" in raw and not isinstance(raw["profiles"], dict):
        warnings.append(
            f'"profiles" in {path} is not an object of named profiles; ignored. '
            'Write it as {"profiles": {"NAME": {"base_url": ...}}}.'
        )
    for name, entries in (
        (raw.get("profiles") or {}).items() if isinstance(raw.get("profiles"), dict) else []
    ):
        if not isinstance(entries, dict):
            warnings.append(f"The profile {name!r} in {path} is not an object; ignored.")
            continue
        values: dict[str, str] = {}
        for key, value in entries.items():
            if key == "mcpServers":
                continue  # the profile's own tools: tools.config reads them
            setting = _PROFILE_KEYS.get(str(key).lower(), str(key).upper())
            spec = spec_by_key(setting)
            if spec is None:
                warnings.append(
                    f"The profile {name!r} in {path} has an unknown key {key}; ignored."
                )
                continue
            if setting != "HEADERS" and not isinstance(value, str | int | float | bool):
                # A list or an object would become its Python text: the key "['x']".
                warnings.append(
                    f"{key} in the profile {name!r} in {path} is a "
                    f"{'list' if isinstance(value, list) else 'JSON ' + type(value).__name__}, "
                    "not a single value; ignored."
                )
                continue
            text = _headers_text(value) if setting == "HEADERS" else as_text(value)
            try:
                parse_value(spec, text, f"{key} in the profile {name!r}")
            except ConfigError as exc:
                warnings.append(f"{exc} Ignored.")
                continue
            values[setting] = text
        found[str(name)] = Profile(str(name), values)
    default = raw.get("default_profile")
    return found, default if isinstance(default, str) and default else None, warnings


def _headers_text(value: object) -> str:
    """Headers in a profile, as an object or a list of ``Name: value`` lines."""
    if isinstance(value, dict):
        return "\n".join(f"{name}: {text}" for name, text in value.items())
    if isinstance(value, list):
        return "\n".join(str(line) for line in value)
    return str(value)
