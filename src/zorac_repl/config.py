"""Settings: one frozen object resolved once from flags, the environment and defaults.

Every setting is declared once in ``SETTINGS``: its key, where it comes from, how its text
is parsed and checked, and its help line. ``--help``, the README table and validation all
come from that table, so they cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from zorac_repl.errors import ConfigError

__all__ = [
    "SETTINGS",
    "SettingSpec",
    "Settings",
    "Source",
    "load_settings",
    "mask_secret",
]

Source = Literal["flag", "env", "default"]


def _parse_url(text: str) -> str:
    value = text.strip().rstrip("/")
    if not value.startswith(("http://", "https://")) or len(value.split("://", 1)[1]) == 0:
        raise ValueError("an http:// or https:// URL, e.g. http://localhost:8000/v1")
    return value


def _parse_temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("a number from 0 to 2, e.g. 0.7") from None
    if not 0.0 <= value <= 2.0:
        raise ValueError("a number from 0 to 2, e.g. 0.7")
    return value


def _parse_positive_int(text: str) -> int:
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ValueError("a whole number above 0, e.g. 4000") from None
    if value <= 0:
        raise ValueError("a whole number above 0, e.g. 4000")
    return value


_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("true or false (also 1/0, yes/no, on/off)")


def _parse_text(text: str) -> str:
    return text.strip()


@dataclass(frozen=True, slots=True)
class SettingSpec:
    """How one setting is named, found, parsed and explained.

    Attributes:
        key: the name users see (``TEMPERATURE``), also the first environment variable.
        field: the attribute on ``Settings``.
        env: environment variables, highest priority first.
        flag: the command-line flag that sets it, if any.
        parse: turns text into the value; raises ``ValueError`` naming the accepted form.
        help: one line for ``--help`` and the README.
        is_secret: masked wherever it is shown.
    """

    key: str
    field: str
    env: tuple[str, ...]
    flag: str | None
    parse: Callable[[str], object]
    help: str
    is_secret: bool = False


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("VLLM_BASE_URL", "base_url", ("VLLM_BASE_URL", "OPENAI_BASE_URL"), "--base-url",
                _parse_url, "server URL, including /v1"),
    SettingSpec("VLLM_API_KEY", "api_key", ("VLLM_API_KEY", "OPENAI_API_KEY"), "--api-key",
                _parse_text, "API key sent as a Bearer token (vLLM --api-key)", is_secret=True),
    SettingSpec("VLLM_MODEL", "model", ("VLLM_MODEL",), "--model",
                _parse_text, "model id; empty means ask the server (/v1/models)"),
    SettingSpec("TEMPERATURE", "temperature", ("TEMPERATURE",), "--temperature",
                _parse_temperature, "sampling temperature, 0 to 2"),
    SettingSpec("MAX_OUTPUT_TOKENS", "max_output_tokens", ("MAX_OUTPUT_TOKENS",), "--max-tokens",
                _parse_positive_int, "most tokens one answer may have"),
    SettingSpec("MAX_INPUT_TOKENS", "max_input_tokens", ("MAX_INPUT_TOKENS",), None,
                _parse_positive_int, "conversation token budget shown as ~used/limit"),
    SettingSpec("STREAM", "stream", ("STREAM",), None,
                _parse_bool, "stream answers token by token (--no-stream turns it off)"),
    SettingSpec("CODE_THEME", "code_theme", ("CODE_THEME",), None,
                _parse_text, "Pygments style for code blocks"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, resolved. Change one with ``dataclasses.replace``."""

    base_url: str = "http://localhost:8000/v1"
    api_key: str = ""
    model: str = ""
    temperature: float = 0.1
    max_output_tokens: int = 4000
    max_input_tokens: int = 12000
    stream: bool = True
    code_theme: str = "monokai"
    sources: Mapping[str, Source] = dataclasses.field(default_factory=dict, compare=False)

    def source_of(self, key: str) -> Source:
        """Where the setting named ``key`` came from."""
        return self.sources.get(key, "default")


def _parse(spec: SettingSpec, text: str, origin: str) -> object:
    try:
        return spec.parse(text)
    except ValueError as exc:
        raise ConfigError(f"{origin}: {text!r} is not valid; expected {exc}.") from None


def load_settings(environ: Mapping[str, str], flags: Mapping[str, str]) -> Settings:
    """Resolve every setting once: flags, then the environment, then the defaults.

    Args:
        environ: the process environment (tests pass a dict).
        flags: setting key → text given on the command line.

    Raises:
        ConfigError: a value is not accepted; the message names where it came from.
    """
    values: dict[str, object] = {}
    sources: dict[str, Source] = {}
    for spec in SETTINGS:
        if spec.key in flags:
            values[spec.field] = _parse(spec, flags[spec.key], f"{spec.flag}")
            sources[spec.key] = "flag"
            continue
        for name in spec.env:
            text = environ.get(name)
            if text is not None and text.strip() != "":
                values[spec.field] = _parse(spec, text, f"${name}")
                sources[spec.key] = "env"
                break
    return Settings(**values, sources=sources)  # type: ignore[arg-type]


def mask_secret(value: str) -> str:
    """Show a secret as its first three and last four characters: ``sk-…9f2c``."""
    if not value:
        return "(not set)"
    if len(value) <= 8:
        return "…" + value[-2:]
    return f"{value[:3]}…{value[-4:]}"
