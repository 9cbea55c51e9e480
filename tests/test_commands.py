"""The command registry, completion and the config file, without a terminal."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.registry import COMMANDS, dispatch, help_text, is_command
from zorac_repl.commands.secret_lines import is_secret_line
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.render.printer import Printer
from zorac_repl.repl.completion import CommandCompleter
from zorac_repl.repl.front_end import TerminalFrontEnd
from zorac_repl.settings.table import Settings, load_settings, read_config_file, write_config_value


def _session(
    tmp_path: Path, environ: dict[str, str] | None = None, settings: Settings | None = None
) -> ChatParts:
    printer = Printer()
    return ChatParts(
        settings or Settings(system_prompt="S"),
        tmp_path / "data",
        tmp_path / "config" / "config.json",
        environ or {},
        printer,
        TerminalFrontEnd(printer, None, {}),
    )


def _run(session: ChatParts, line: str, width: int = 200) -> str:
    """What the command prints, its tables laid out ``width`` columns wide."""
    from zorac_repl.render.printer import table_lines

    result = asyncio.run(dispatch(session, line))
    lines = [result.message] if result.message else []
    for table in result.tables:
        lines += [table.heading, *table_lines(table.rows, width, table.cut), table.footer]
    return "\n".join(line for line in lines if line)


def test_help_lists_every_command_from_the_registry():
    text = help_text()
    for command in COMMANDS:
        assert command.name in text and command.help in text
    for name in (
        "/help",
        "/clear",
        "/save",
        "/load",
        "/tokens",
        "/summarize",
        "/summary",
        "/reconnect",
        "/config",
        "/quit",
        "/exit",
    ):
        assert name in text


def test_unknown_command_suggests_the_closest(tmp_path):
    escape = " to send a message that starts with /, begin it with //."
    assert _run(_session(tmp_path), "/sumary") == (
        f"Unknown command: /sumary. Did you mean /summary? Type /help for the list;{escape}"
    )
    assert _run(_session(tmp_path), "/zzz") == (
        f"Unknown command: /zzz. Type /help for the list;{escape}"
    )
    assert asyncio.run(dispatch(_session(tmp_path), "/etc/hosts what is it")).draft == (
        "/etc/hosts what is it"
    )


def test_a_doubled_slash_sends_a_message_that_starts_with_one():
    from zorac_repl.commands.registry import message_text

    assert not is_command("//etc/hosts what is this file")
    assert message_text("//etc/hosts what is this file") == "/etc/hosts what is this file"
    assert message_text("  //x") == "  /x"
    assert message_text("no slash") == "no slash"


@pytest.mark.parametrize(
    "line, usage",
    [
        ("/tokens now", "Usage: /tokens"),
        ("/clear all", "Usage: /clear"),
        ("/config", "Usage: /config list | get KEY | set KEY VALUE"),
        ("/config get", "Usage: /config list | get KEY | set KEY VALUE"),
        ("/config set", "Usage: /config list | get KEY | set KEY VALUE"),
        ("/config remove X", "Usage: /config list | get KEY | set KEY VALUE"),
    ],
)
def test_wrong_arguments_print_the_usage_line(tmp_path, line, usage):
    assert _run(_session(tmp_path), line) == usage


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "/config set TEMPERATURE 3",
            "TEMPERATURE: '3' is not valid; expected a number from 0 to 2",
        ),
        ("/config set MAX_OUTPUT_TOKENS -5", "expected a whole number above 0"),
        ("/config set MAX_INPUT_TOKENS lots", "expected a whole number above 0"),
        ("/config set KEEP_RECENT_MESSAGES 0", "expected a whole number above 0"),
        ("/config set STREAM maybe", "expected true or false (also 1/0, yes/no, on/off)"),
        ("/config set CODE_THEME monokia", "expected a Pygments style such as monokai"),
        ("/config set VLLM_BASE_URL ftp://host/v1", "expected an http:// or https:// URL"),
        ("/config set TIKTOKEN_ENCODING nope", "expected a tiktoken encoding"),
        ("/config set NOPE 1", "Unknown setting: NOPE."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(tmp_path, line, expected):
    session = _session(tmp_path)
    message = _run(session, line)
    assert expected in message and "\n" not in message
    assert "Nothing was changed" in message or "Unknown setting" in message
    assert not session.settings.config_path.exists()
    assert session.settings.current == Settings(system_prompt="S")


def test_set_saves_atomically_with_mode_0600_and_applies(tmp_path):
    session = _session(tmp_path)
    assert "in effect now" in _run(session, "/config set temperature 0.7")
    assert session.settings.current.temperature == 0.7
    assert json.loads(session.settings.config_path.read_text()) == {"TEMPERATURE": "0.7"}
    assert stat.S_IMODE(session.settings.config_path.stat().st_mode) == 0o600
    assert session.settings.current.source_of("TEMPERATURE") == "file"


def test_environment_still_wins_and_says_so(tmp_path):
    environ = {"TEMPERATURE": "0.5"}
    session = _session(tmp_path, environ, load_settings(environ, {}))
    message = _run(session, "/config set TEMPERATURE 1.2")
    assert message == (
        "Saved TEMPERATURE to the config file, but $TEMPERATURE sets it and "
        "still wins; it stays 0.5."
    )
    assert session.settings.current.temperature == 0.5


def test_precedence_flag_env_file_default(tmp_path):
    path = tmp_path / "config.json"
    write_config_value(path, "TEMPERATURE", "0.3")
    write_config_value(path, "MAX_OUTPUT_TOKENS", "321")
    file_values, warnings = read_config_file(path)
    assert warnings == []
    settings = load_settings({"TEMPERATURE": "0.5"}, {}, file_values)
    assert (settings.temperature, settings.source_of("TEMPERATURE")) == (0.5, "env")
    assert (settings.max_output_tokens, settings.source_of("MAX_OUTPUT_TOKENS")) == (321, "file")
    settings = load_settings({"TEMPERATURE": "0.5"}, {"TEMPERATURE": "0.9"}, file_values)
    assert (settings.temperature, settings.source_of("TEMPERATURE")) == (0.9, "flag")
    assert load_settings({}, {}, {}).source_of("TEMPERATURE") == "default"


def test_config_file_problems_are_warnings_not_crashes(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"TEMPERATURE": "9", "COLOUR": "red", "STREAM": false}')
    path.chmod(0o644)
    values, warnings = read_config_file(path)
    assert values == {"STREAM": "false"}
    assert any("chmod 600" in w for w in warnings)
    assert any("TEMPERATURE" in w and "Ignored" in w for w in warnings)
    assert any("unknown setting COLOUR" in w for w in warnings)
    path.write_text("{oops")
    assert read_config_file(path)[0] == {}


def test_api_key_is_masked_in_list_and_get(tmp_path):
    session = _session(tmp_path, settings=Settings(api_key="sk-abcdefgh12349f2c"))
    for line in ("/config list", "/config get VLLM_API_KEY", "/config get vllm_api_key"):
        message = _run(session, line)
        assert "…9f2c" in message and "sk-" not in message and "abcdefgh" not in message


def test_config_list_shows_every_key_with_its_source(tmp_path):
    session = _session(tmp_path, {"TEMPERATURE": "0.5"}, load_settings({"TEMPERATURE": "0.5"}, {}))
    text = _run(session, "/config list")
    assert re.search(r"  TEMPERATURE +\[env\] +0\.5\n", text)
    assert re.search(r"  STREAM +\[default\] +true\n", text)


def test_tables_wrap_at_words_under_their_column_or_are_cut(tmp_path):
    session = _session(tmp_path)
    help_text = _run(session, "/help", width=60)
    lines = help_text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    copy = next(index for index, line in enumerate(lines) if line.startswith("  /copy"))
    start = lines[copy].index("copy a code block") if "copy a code block" in lines[copy] else None
    follow = lines[copy + 1]
    assert start is None or follow[:start].strip() == ""  # a hanging indent, not column 0
    listing = _run(session, "/config list", width=60).splitlines()[:-1]  # less the footer
    budget = next(line for line in listing if "MAX_INPUT_TOKENS" in line)
    assert "…" not in budget and all(len(line) <= 60 for line in listing)


@pytest.mark.parametrize(
    "line, secret",
    [
        ("/config set VLLM_API_KEY sk-123", True),
        ("/CONFIG SET vllm_api_key sk-123", True),
        ("/config set TEMPERATURE 1", False),
        ("hello", False),
        ("/config get VLLM_API_KEY", False),
    ],
)
def test_lines_holding_secrets_are_recognised(line, secret):
    assert is_secret_line(line) is secret


def _complete(text: str, models: list[str] | None = None) -> list[str]:
    completer = CommandCompleter({"model": lambda: models or []})
    return [c.text for c in completer.get_completions(Document(text), CompleteEvent())]


def test_completion_covers_commands_subcommands_keys_and_values():
    assert _complete("/su") == ["/summarize ", "/summary "]
    assert _complete("/ex") == ["/export ", "/exit "]
    assert _complete("/config ") == ["list ", "get ", "set "]
    assert _complete("/config set TEMP") == ["TEMPERATURE "]
    assert _complete("/config get max_in") == ["MAX_INPUT_TOKENS"]
    assert _complete("/config set STREAM ") == ["true", "false"]
    assert "monokai" in _complete("/config set CODE_THEME mon")
    assert "cl100k_base" in _complete("/config set TIKTOKEN_ENCODING ")
    assert _complete("/config set VLLM_MODEL Q", ["Qwen/Qwen3-8B", "llama"]) == ["Qwen/Qwen3-8B"]
    assert _complete("hello /con") == []


def test_a_completed_word_that_another_follows_ends_with_a_space():
    # "/config s<Tab>T" must read "/config set T", not "/config setT".
    document = Document("/config s")
    (completion,) = CommandCompleter({}).get_completions(document, CompleteEvent())
    buffer_text = document.text[: len(document.text) + completion.start_position]
    assert buffer_text + completion.text + "T" == "/config set T"


def test_keep_recent_messages_and_stall_timeout_apply_at_once(tmp_path):
    session = _session(tmp_path)
    for number in range(2):
        session.conversation.add_user(f"q{number}")
        session.conversation.add_assistant(f"a{number}", AnswerMeta())
    assert "older than the last 6" in _run(session, "/summarize")
    _run(session, "/config set KEEP_RECENT_MESSAGES 4")
    assert "older than the last 4" in _run(session, "/summarize")
    assert session.link.client.stall_timeout == 120.0
    _run(session, "/config set STALL_TIMEOUT 3")
    assert session.link.client.stall_timeout == 3.0  # the next request uses a new client


def test_load_of_an_unreadable_state_says_so_and_keeps_the_conversation(tmp_path):
    session = _session(tmp_path)
    session.saved.restore()
    session.conversation.add_user("still here")
    session.conversation.add_assistant("yes", AnswerMeta())
    session.saved.save()
    with sqlite3.connect(tmp_path / "data" / "log.db") as db:
        db.execute("UPDATE conversations SET state = '{ not json'")
    message = _run(session, "/load")
    assert message.startswith("The saved conversation cannot be read (its saved state is not JSON")
    assert [m.text for m in session.conversation.messages] == ["still here", "yes"]
    session.saved.release()


def test_think_picks_an_answer_back_and_refuses_bad_numbers(tmp_path):
    session = _session(tmp_path)
    assert _run(session, "/think") == "There is no answer yet."
    session.conversation.add_user("q1")
    session.conversation.add_assistant(
        "a1", AnswerMeta(thinking="first thought", thinking_tokens=3, thinking_seconds=1.25)
    )
    session.conversation.add_user("q2")
    session.conversation.add_assistant("a2", AnswerMeta())
    assert _run(session, "/think").startswith("The model did not think before the last answer")
    assert _run(session, "/think 2") == (
        "Thinking before answer 2 back (3 tokens, 1.2s):\nfirst thought"
    )
    assert _run(session, "/think 3") == "There is no answer 3 back: the conversation has 2 answers."
    assert _run(session, "/think zero") == "Usage: /think [N]"
    assert _run(session, "/think 0") == "Usage: /think [N]"


def test_reasoning_settings_complete_and_validate(tmp_path):
    assert _complete("/config set REASONING ") == ["fold", "show", "hide"]
    assert _complete("/config set THINKING o") == ["on", "off"]
    assert "medium" in _complete("/config set REASONING_EFFORT ")
    session = _session(tmp_path)
    assert "expected one of fold, show, hide" in _run(session, "/config set REASONING loud")
    _run(session, "/config set REASONING_EFFORT High")
    assert session.link.request().reasoning_effort == "high"
    assert session.link.request().extra_body() == {"reasoning_effort": "high"}


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param("/help", True, id="a command"),
        pytest.param("/nope", True, id="an unknown command is refused, not sent"),
        pytest.param("/system be terse\nand kind", True, id="a command that takes text"),
        pytest.param("/etc/hosts\nwhat is this file?", False, id="a message starting with /"),
        pytest.param("/undo\n2", False, id="several lines for a command without text"),
        pytest.param("hello /help", False, id="a message"),
    ],
)
def test_the_registry_tells_a_command_line_from_a_message(text, expected):
    assert is_command(text) is expected


def test_copy_takes_one_path_quoted_if_it_has_spaces(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session = _session(tmp_path)
    session.conversation.add_user("code please")
    session.conversation.add_assistant("```python\nprint(1)\n```", AnswerMeta())
    assert _run(session, "/copy 1 2 3") == "Usage: /copy [N or all] [PATH[!]]"
    assert not (tmp_path / "2 3").exists()
    assert _run(session, '/copy 1 "my file.py"').startswith("Wrote code block 1")
    assert (tmp_path / "my file.py").read_text() == "print(1)\n"


def test_copy_leaves_out_control_characters_and_says_how_many(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session = _session(tmp_path)
    session.conversation.add_user("code please")
    hidden = "echo safe\x1b[201~\nrm -rf ~\x07\n"
    session.conversation.add_assistant(f"```sh\n{hidden}```", AnswerMeta())
    result = asyncio.run(dispatch(session, "/copy"))
    assert "less 2 control characters" in result.message
    assert result.terminal is not None
    import base64

    payload = result.terminal.split(";")[-1].rstrip("\x07\\\x1b")
    assert base64.b64decode(payload).decode() == "echo safe[201~\nrm -rf ~\n"
    assert _run(session, "/copy 1 out.sh").startswith("Wrote code block 1")
    written = tmp_path / "out.sh"
    assert written.read_text() == "echo safe[201~\nrm -rf ~\n"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_export_shows_control_characters_in_what_the_server_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = "test-model\x1b]52;c;cm0gLXJmIH4=\x07"
    session = _session(tmp_path, settings=Settings(system_prompt="S", model=model))
    session.conversation.add_user("hi")
    session.conversation.add_assistant("hello", AnswerMeta(model=model))
    assert _run(session, "/export out.md").startswith("Exported 2 messages")
    written = tmp_path / "out.md"
    text = written.read_text()
    assert "\x1b" not in text and "\x07" not in text and "test-model␛]52;" in text
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


@pytest.mark.parametrize("path", ["x" * 300 + ".md", "bad\x00name.md"])
def test_export_to_an_impossible_path_is_one_line(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    session = _session(tmp_path)
    session.conversation.add_user("hi")
    session.conversation.add_assistant("hello", AnswerMeta())
    assert _run(session, f"/export {path}").startswith("Cannot write ")


def test_a_base_url_with_a_password_stays_out_of_history():
    assert is_secret_line("/config set VLLM_BASE_URL http://me:pw@gpu:8000/v1")
    assert not is_secret_line("/config set VLLM_BASE_URL http://gpu:8000/v1")
    assert not is_secret_line("/config set VLLM_BASE_URL http://me@gpu:8000/v1")


def test_a_password_in_the_base_url_is_masked_in_config_models_and_export(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(system_prompt="S", base_url="http://me:hunter2pw@127.0.0.1:9/v1")
    session = _session(tmp_path, settings=settings)
    shown = _run(session, "/config get VLLM_BASE_URL")
    assert "hunter2pw" not in shown and "me:****@127.0.0.1:9" in shown
    session.conversation.add_user("hi")
    session.conversation.add_assistant("hello", AnswerMeta())
    _run(session, "/export out.md")
    text = (tmp_path / "out.md").read_text()
    assert "hunter2pw" not in text and "me:****@" in text


def test_summary_is_shown_as_markdown(tmp_path):
    import io

    from rich.console import Console

    session = _session(tmp_path)
    session.conversation.replace_older(0, "They discussed **paged attention** and `vLLM`.")
    result = asyncio.run(dispatch(session, "/summary"))
    assert result.markdown.startswith("They discussed **paged attention**")
    out = io.StringIO()
    Printer(Console(file=out, width=80, color_system=None)).markdown(result.markdown)
    assert "They discussed paged attention and vLLM." in out.getvalue()
