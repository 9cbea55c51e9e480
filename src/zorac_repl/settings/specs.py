"""Every setting, declared once: its key, where it comes from, how it is parsed, its help.

``--help``, ``/config``, completion and validation all read this table (``SETTINGS``), so
they cannot drift apart; ``table.py`` resolves the values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zorac_repl.errors import ConfigError
from zorac_repl.settings.values import (
    EFFORT,
    REASONING,
    THINKING,
    VISION,
    booleans,
    code_themes,
    encodings,
    parse_bool,
    parse_encoding,
    parse_file,
    parse_headers,
    parse_pixels,
    parse_positive_int,
    parse_proxy,
    parse_seconds,
    parse_size,
    parse_temperature,
    parse_text,
    parse_theme,
    parse_url,
)

__all__ = ["SETTINGS", "SettingSpec", "spec_by_key", "spec_for"]


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
        "LOG",
        "log",
        ("LOG",),
        None,
        parse_bool,
        "keep every exchange in the searchable log (zorac-repl log); off keeps nothing "
        "beyond the current conversation",
        choices=booleans,
        metavar="on|off",
    ),
    SettingSpec(
        "TOOLS",
        "tools",
        ("TOOLS",),
        None,
        parse_bool,
        "offer the tools of the MCP servers in mcpServers to the model (--no-tools: off)",
        choices=booleans,
        metavar="true|false",
    ),
    SettingSpec(
        "TOOL_ROUNDS",
        "tool_rounds",
        ("TOOL_ROUNDS",),
        None,
        parse_positive_int,
        "rounds of tool calls one message may take before the model must answer",
        metavar="N",
    ),
    SettingSpec(
        "TOOL_TIMEOUT",
        "tool_timeout",
        ("TOOL_TIMEOUT",),
        None,
        parse_seconds,
        "seconds a tool call may run before it is cancelled",
        metavar="SECONDS",
    ),
    SettingSpec(
        "TOOL_RESULT_MAX",
        "tool_result_max",
        ("TOOL_RESULT_MAX",),
        None,
        parse_size,
        "most characters of a tool's result the model is sent; the rest is cut, with a note",
        metavar="SIZE",
    ),
    SettingSpec(
        "VISION",
        "vision",
        ("VISION",),
        None,
        VISION[0],
        "whether the model reads images: auto (ask the server, or learn from its "
        "refusal), yes or no",
        choices=VISION[1],
        metavar="auto|yes|no",
    ),
    SettingSpec(
        "MAX_IMAGES",
        "max_images",
        ("MAX_IMAGES",),
        None,
        parse_positive_int,
        "images one request carries: the newest; older ones are sent as a line of text",
        metavar="N",
    ),
    SettingSpec(
        "IMAGE_MAX_SIDE",
        "image_max_side",
        ("IMAGE_MAX_SIDE",),
        None,
        parse_pixels,
        "attached images are scaled down to this longest side, in pixels",
        metavar="PIXELS",
    ),
    SettingSpec(
        "ATTACH_MAX_FILES",
        "attach_max_files",
        ("ATTACH_MAX_FILES",),
        None,
        parse_positive_int,
        "most files one /attach or -a may stage (a directory's walk counts each)",
        metavar="N",
    ),
    SettingSpec(
        "ATTACH_MAX_BYTES",
        "attach_max_bytes",
        ("ATTACH_MAX_BYTES",),
        None,
        parse_size,
        "most bytes of text and PDF files one /attach or -a may stage (e.g. 4M)",
        metavar="SIZE",
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
