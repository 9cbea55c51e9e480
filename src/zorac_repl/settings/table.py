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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from zorac_repl.errors import ConfigError, StoreError
from zorac_repl.settings.connection import Connection, resolve_api_key, shown_url
from zorac_repl.settings.values import (
    EFFORT,
    REASONING,
    THINKING,
    Effort,
    ReasoningMode,
    Thinking,
    booleans,
    code_themes,
    encodings,
    parse_bool,
    parse_encoding,
    parse_file,
    parse_headers,
    parse_positive_int,
    parse_proxy,
    parse_seconds,
    parse_size,
    parse_temperature,
    parse_text,
    parse_theme,
    parse_url,
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
class SettingSpec:
    """How one setting is named, found, parsed and explained.

    Attributes:
        key: the name users see (``TEMPERATURE``), also the first environment variable.
        field: the attribute on ``Settings``.
        env: environment variables, highest priority first.
        flag: the command-line flag that sets it, if any.
        parse: turns text into the value; raises ``ValueError`` naming the accepted form.
        help: one line for ``--help`` and the README.
        is_secret: masked wherever it is shown, and kept out of input history.
        choices: lists the accepted values, for completion, where they can be listed.
        short: the flag's one-letter form, as peers spell it (``-m`` model, ``-s`` system).
        metavar: what ``--help`` calls the flag's value (``URL``, ``PATH``, ``N``).
    """

    key: str
    field: str
    env: tuple[str, ...]
    flag: str | None
    parse: Callable[[str], object]
    help: str
    is_secret: bool = False
    choices: Callable[[], list[str]] | None = None
    short: str | None = None
    metavar: str = "VALUE"


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "VLLM_BASE_URL",
        "base_url",
        ("VLLM_BASE_URL", "OPENAI_BASE_URL", "OPENAI_API_BASE"),
        "--base-url",
        parse_url,
        "server URL, including /v1",
        metavar="URL",
    ),
    SettingSpec(
        "VLLM_API_KEY",
        "api_key",
        ("VLLM_API_KEY", "OPENAI_API_KEY"),
        "--api-key",
        parse_text,
        "API key sent as a Bearer token (vLLM --api-key); visible in "
        "ps as a flag: prefer the variable, --api-key-file or API_KEY_COMMAND",
        is_secret=True,
        metavar="KEY",
    ),
    SettingSpec(
        "API_KEY_FILE",
        "api_key_file",
        ("ZORAC_API_KEY_FILE",),
        "--api-key-file",
        parse_file,
        "read the API key from this file",
        metavar="PATH",
    ),
    SettingSpec(
        "API_KEY_COMMAND",
        "api_key_command",
        ("ZORAC_API_KEY_COMMAND",),
        None,
        parse_text,
        "run this once per connection; its output is the API key (e.g. pass show gpu-box/vllm)",
    ),
    SettingSpec(
        "HEADERS",
        "headers",
        ("ZORAC_HEADERS",),
        "--header",
        parse_headers,
        "extra HTTP headers, 'Name: value' (-H, repeatable; "
        "newline-separated in the variable); values are masked",
        is_secret=True,
        short="-H",
        metavar="'NAME: VALUE'",
    ),
    SettingSpec(
        "CA_BUNDLE",
        "ca_bundle",
        ("ZORAC_CA_BUNDLE",),
        "--ca-bundle",
        parse_file,
        "PEM file of CAs to trust (a self-signed or corporate CA)",
        metavar="PATH",
    ),
    SettingSpec(
        "INSECURE",
        "insecure",
        ("ZORAC_INSECURE",),
        None,
        parse_bool,
        "skip TLS certificate checks (--insecure); warned at start",
        choices=booleans,
    ),
    SettingSpec(
        "PROXY",
        "proxy",
        ("ZORAC_PROXY",),
        "--proxy",
        parse_proxy,
        "proxy URL; overrides HTTPS_PROXY/HTTP_PROXY (loopback never goes through one)",
        metavar="URL",
    ),
    SettingSpec(
        "VLLM_MODEL",
        "model",
        ("VLLM_MODEL",),
        "--model",
        parse_text,
        "model id; empty means ask the server (/v1/models)",
        short="-m",
        metavar="ID",
    ),
    SettingSpec(
        "TEMPERATURE",
        "temperature",
        ("TEMPERATURE",),
        "--temperature",
        parse_temperature,
        "sampling temperature, 0 to 2",
        metavar="T",
    ),
    SettingSpec(
        "MAX_OUTPUT_TOKENS",
        "max_output_tokens",
        ("MAX_OUTPUT_TOKENS",),
        "--max-tokens",
        parse_positive_int,
        "most tokens one answer may have",
        metavar="N",
    ),
    SettingSpec(
        "MAX_INPUT_TOKENS",
        "max_input_tokens",
        ("MAX_INPUT_TOKENS",),
        None,
        parse_positive_int,
        "conversation token budget shown as ~used/limit",
    ),
    SettingSpec(
        "KEEP_RECENT_MESSAGES",
        "keep_recent_messages",
        ("KEEP_RECENT_MESSAGES",),
        None,
        parse_positive_int,
        "messages kept word for word when older ones are summarized",
    ),
    SettingSpec(
        "STALL_TIMEOUT",
        "stall_timeout",
        ("STALL_TIMEOUT",),
        "--stall-timeout",
        parse_seconds,
        "seconds without data before an answer counts as stalled",
        metavar="SECONDS",
    ),
    SettingSpec(
        "MAX_ANSWER_BYTES",
        "max_answer_bytes",
        ("MAX_ANSWER_BYTES",),
        None,
        parse_size,
        "most bytes one answer may take from the server, decompressed (e.g. 64M); "
        "past it the answer stops",
    ),
    SettingSpec(
        "MAX_EVENT_BYTES",
        "max_event_bytes",
        ("MAX_EVENT_BYTES",),
        None,
        parse_size,
        "most bytes one line or one event of a stream may have (e.g. 4M)",
    ),
    SettingSpec(
        "MAX_ERROR_BYTES",
        "max_error_bytes",
        ("MAX_ERROR_BYTES",),
        None,
        parse_size,
        "most bytes of a server's error reply that are read (e.g. 64K); the rest is dropped",
    ),
    SettingSpec(
        "STREAM",
        "stream",
        ("STREAM",),
        None,
        parse_bool,
        "stream answers token by token (--no-stream turns it off)",
        choices=booleans,
    ),
    SettingSpec(
        "CODE_THEME",
        "code_theme",
        ("CODE_THEME",),
        None,
        parse_theme,
        "Pygments style for code blocks",
        choices=code_themes,
    ),
    SettingSpec(
        "TIKTOKEN_ENCODING",
        "tiktoken_encoding",
        ("TIKTOKEN_ENCODING",),
        None,
        parse_encoding,
        "tiktoken encoding for local token counts",
        choices=encodings,
    ),
    SettingSpec(
        "SYSTEM_PROMPT",
        "system_prompt",
        ("SYSTEM_PROMPT",),
        "--system",
        parse_text,
        "system prompt; empty means the built-in one (date, commands)",
        short="-s",
        metavar="TEXT",
    ),
    SettingSpec(
        "REASONING",
        "reasoning",
        ("REASONING",),
        "--reasoning",
        REASONING[0],
        "a reasoning model's thinking: fold (one line after), show "
        "(all of it, dimmed; on stderr in a pipe) or hide",
        choices=REASONING[1],
        metavar="fold|show|hide",
    ),
    SettingSpec(
        "THINKING",
        "thinking",
        ("THINKING",),
        "--thinking",
        THINKING[0],
        "ask the model to think: auto (send nothing), on or off "
        "(chat_template_kwargs.enable_thinking, Qwen3-style)",
        choices=THINKING[1],
        metavar="auto|on|off",
    ),
    SettingSpec(
        "REASONING_EFFORT",
        "reasoning_effort",
        ("REASONING_EFFORT",),
        "--reasoning-effort",
        EFFORT[0],
        "how hard the model thinks: auto (send "
        "nothing), low, medium or high (reasoning_effort, gpt-oss)",
        choices=EFFORT[1],
        metavar="auto|low|medium|high",
    ),
)

_BY_KEY = {spec.key: spec for spec in SETTINGS}


def spec_by_key(key: str) -> SettingSpec | None:
    """The setting whose key is exactly ``key`` (any case), or ``None``."""
    return _BY_KEY.get(key.upper())


def spec_for(key: str) -> SettingSpec:
    """The setting named ``key`` (any case).

    Raises:
        ConfigError: no such setting; the message suggests the closest names.
    """
    spec = _BY_KEY.get(key.strip().upper())
    if spec is None:
        import difflib

        close = difflib.get_close_matches(key.upper(), list(_BY_KEY), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise ConfigError(f"Unknown setting: {key}.{hint} /config list shows them all.")
    return spec


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
    stream: bool = True
    code_theme: str = "monokai"
    tiktoken_encoding: str = "cl100k_base"
    system_prompt: str = ""
    reasoning: ReasoningMode = "fold"
    thinking: Thinking = "auto"
    reasoning_effort: Effort = "auto"
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
        if key in ("profiles", "default_profile"):
            continue  # read by profiles.read_profiles
        spec = _BY_KEY.get(str(key).upper())
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
