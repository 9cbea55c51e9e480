"""Settings: flags, then the environment, then defaults; bad values fail with one clear line."""

from __future__ import annotations

import pytest

from zorac_repl.errors import ConfigError
from zorac_repl.settings.table import Profile, Settings, load_settings, mask_secret


def test_defaults():
    settings = load_settings({}, {})
    assert settings == Settings()
    assert (
        settings.base_url,
        settings.temperature,
        settings.max_output_tokens,
        settings.stream,
    ) == ("http://localhost:8000/v1", 0.1, 4000, True)
    assert settings.source_of("TEMPERATURE") == "default"


def test_flag_beats_environment_beats_default():
    env = {"TEMPERATURE": "0.5", "VLLM_MODEL": "env-model"}
    settings = load_settings(env, {"TEMPERATURE": "1.5"})
    assert settings.temperature == 1.5 and settings.source_of("TEMPERATURE") == "flag"
    assert settings.model == "env-model" and settings.source_of("VLLM_MODEL") == "env"


def test_openai_variables_are_fallbacks_only():
    env = {"OPENAI_BASE_URL": "http://a:1/v1", "OPENAI_API_KEY": "sk-openai"}
    assert load_settings(env, {}).base_url == "http://a:1/v1"
    env["VLLM_BASE_URL"] = "http://b:2/v1/"
    env["VLLM_API_KEY"] = "sk-vllm"
    settings = load_settings(env, {})
    assert (settings.base_url, settings.api_key) == ("http://b:2/v1", "sk-vllm")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("false", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
        ("true", True),
        ("1", True),
        ("yes", True),
        ("On", True),
    ],
)
def test_stream_accepts_the_usual_booleans(text, expected):
    assert load_settings({"STREAM": text}, {}).stream is expected


@pytest.mark.parametrize(
    "env, message",
    [
        ({"TEMPERATURE": "3"}, "$TEMPERATURE: '3' is not valid; expected a number from 0 to 2"),
        ({"TEMPERATURE": "warm"}, "expected a number from 0 to 2"),
        (
            {"MAX_OUTPUT_TOKENS": "0"},
            "$MAX_OUTPUT_TOKENS: '0' is not valid; expected a whole number",
        ),
        ({"MAX_OUTPUT_TOKENS": "1.5"}, "expected a whole number above 0"),
        ({"STREAM": "maybe"}, "expected true or false (also 1/0, yes/no, on/off)"),
        ({"VLLM_BASE_URL": "localhost:8000"}, "expected an http:// or https:// URL"),
    ],
)
def test_bad_values_name_the_source_and_the_accepted_form(env, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(env, {})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_flag_names_the_flag():
    with pytest.raises(ConfigError, match=r"^--temperature: '9' is not valid"):
        load_settings({}, {"TEMPERATURE": "9"})


@pytest.mark.parametrize(
    "secret, shown",
    [
        ("sk-abcdefgh12349f2c", "…9f2c"),
        ("hunter2hunter2", "…r2"),  # a short secret shows less
        ("", "(not set)"),
        ("short", "(set, 5 characters)"),
    ],
)
def test_secrets_are_masked(secret, shown):
    assert mask_secret(secret) == shown


def test_a_bad_header_is_named_without_its_value():
    with pytest.raises(ConfigError) as caught:
        load_settings({}, {"HEADERS": "X-Good: secret-1\nX Bad Name: secret-2"})
    message = str(caught.value)
    assert "'X Bad Name'" in message and "secret" not in message and "(hidden)" not in message
    with pytest.raises(ConfigError, match="header 2 of 2 has no ':'"):
        load_settings({}, {"HEADERS": "X-Good: 1\nX-Token"})
    with pytest.raises(ConfigError) as caught:
        load_settings({}, {"HEADERS": "Bearer sk-abc123"})
    assert "sk-abc123" not in str(caught.value)


def test_a_header_flag_adds_to_the_profiles_headers():
    profile = Profile("gpu", {"HEADERS": "CF-Access-Client-Id: id-1\nX-Trace: old"})
    settings = load_settings({}, {"HEADERS": "X-Trace: new"}, profile=profile)
    assert settings.headers == (("CF-Access-Client-Id", "id-1"), ("X-Trace", "new"))


def test_config_set_keeps_a_hand_edited_files_order_and_indent(tmp_path):
    from zorac_repl.settings.table import write_config_value

    path = tmp_path / "config.json"
    path.write_text(
        '{\n    "VLLM_MODEL": "m",\n    "TEMPERATURE": "0.3",\n    "CODE_THEME": "x"\n}\n'
    )
    write_config_value(path, "TEMPERATURE", "0.7")
    write_config_value(path, "STREAM", "false")
    assert path.read_text() == (
        '{\n    "VLLM_MODEL": "m",\n    "TEMPERATURE": "0.7",\n    "CODE_THEME": "x",\n'
        '    "STREAM": "false"\n}\n'
    )


def test_size_settings_are_read_and_shown_with_units(tmp_path):
    from zorac_repl.settings.live import LiveSettings

    settings = load_settings({"MAX_ANSWER_BYTES": "64M", "MAX_ERROR_BYTES": "512K"}, {})
    assert settings.max_answer_bytes == 64 * 1024**2 and settings.max_error_bytes == 512 * 1024
    live = LiveSettings(settings, tmp_path / "config.json", {})
    assert live.shown_value("MAX_ANSWER_BYTES") == "64M"
    assert live.shown_value("MAX_EVENT_BYTES") == "4M"
    with pytest.raises(ConfigError, match="a size above 0"):
        load_settings({"MAX_EVENT_BYTES": "lots"}, {})
