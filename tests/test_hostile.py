"""Hostile and odd input, /retry and SIGTERM, through the installed program."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pexpect
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import zorac_command
from tests.helpers import start_repl
from tests.raw_server import after, models, raw_server, sse_answer
from tests.saved_state import saved_state
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer
from zorac_repl.errors import ZoracError
from zorac_repl.server.sse import SSEDecoder, decode_chunk

_STATS = r"Stats: \d+ tokens in"
_ESCAPES = (b"\x1b[2J", b"\x1b]52;", b"\x1b]0;", b"\x1b]8;", b"\x07")


def _start(terminal: type[Terminal], server: DevServer, **env: str) -> Terminal:
    return start_repl(terminal, server, env={"SYSTEM_PROMPT": "S", **env}, columns=200, rows=50)


def _stats_count(term: Terminal) -> int:
    return len(re.findall(_STATS, term.scrollback()))


def _ask(term: Terminal, text: str) -> None:
    count = _stats_count(term)
    term.enter(text)
    term.wait_count(_STATS, count + 1, timeout=30)


# -- escape sequences and markup ------------------------------------------------------------


def test_escapes_in_answers_are_shown_as_text_in_the_repl(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    start = len(term.raw)
    _ask(term, "[[hostile]]")
    written = term.raw[start:]
    for sequence in _ESCAPES:
        assert sequence not in written
    screen = term.scrollback()
    assert "Clear: ␛[2J␛[H done." in screen
    assert "Clipboard: ␛]52;c;cm0gLXJmIH4=␇ done." in screen
    assert "safe␍EVIL and back␈␈␈␈ done." in screen
    assert "Markup: [bold]not bold[/bold] [[x=1]] [/] [link=http://a]y[/link] done." in screen


def test_escapes_reach_stdout_raw_only_when_it_is_not_a_terminal(fresh_requests):
    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    piped = subprocess.run(
        [zorac_command(), "[[hostile]]"],
        capture_output=True,
        env=environment,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert piped.returncode == 0 and b"\x1b]52;c;cm0gLXJmIH4=\x07" in piped.stdout
    # The same one-shot command with a terminal for stdout: shown, not obeyed.
    child = pexpect.spawn(zorac_command(), ["[[hostile]]"], env=environment, timeout=30)
    child.expect(pexpect.EOF)
    shown = child.before
    assert b"\xe2\x90\x9b]52;" in shown  # "␛]52;"
    for sequence in _ESCAPES:
        assert sequence not in shown


def test_markup_is_literal_in_messages_errors_and_model_names(make_server, terminal):
    odd = make_server(model="[bold]qwen[/bold]")
    term = _start(terminal, odd)
    _ask(term, "[[echo]] [bold]x[/] [[x=1]] [link=http://a]y[/link]")
    # The echo drops the directive [[x=1]], leaving two spaces; the rest is as typed.
    assert "\n[bold]x[/]  [link=http://a]y[/link]" in term.scrollback()
    term.enter("/config set VLLM_MODEL [red]nope[/]")
    term.wait_for(r"VLLM_MODEL = \[red\]nope\[/\]")
    term.enter("hello")
    term.wait_for(r"The model `\[red\]nope\[/\]` does not exist")
    term.ctrl("c")
    term.enter("/config set VLLM_MODEL [bold]qwen[/bold]")
    term.enter("/reconnect")
    term.wait_for(r"model \[bold\]qwen\[/bold\], context 32768 tokens")


def test_user_message_with_directive_like_text_does_not_crash(terminal, fresh_requests):
    # Zorac 1.4.1 died with a MarkupError on exactly this message.
    term = _start(terminal, fresh_requests)
    term.enter("[[tokens=1 rate=2]] what is [/] and [bold]?")
    term.wait_for(r"tok/s \| TTFT")  # the answer streams (slowly: the directive is real)
    term.ctrl("c")
    term.wait_for(r"Response interrupted")
    assert "Traceback" not in term.scrollback()
    assert "> [[tokens=1 rate=2]] what is [/] and [bold]?" in term.scrollback()


# -- layout -------------------------------------------------------------------------------


def test_a_100k_character_line_wraps_without_loss(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    _ask(term, "[[longline=100000]]")
    served = fresh_requests.chat_requests()[-1].served_text.strip()
    shown = "".join(
        line
        for line in term.scrollback().splitlines()
        if line.startswith(("lorem", "ipsum", "dolor", "sit", "amet"))
    )
    assert shown.replace(" ", "") == served.replace(" ", "")


def test_zero_width_and_right_to_left_text_keep_the_layout(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    start = len(term.raw)
    _ask(term, "[[unicode]]")
    written = term.raw[start:].decode()
    # Written whole (the test's screen emulator itself drops text after zero-width marks).
    for line in (
        "Zero width: a\u200bb\u200cc\u200dd\ufeffe done.",
        "Right to left: \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 "
        "\\u202eevil\\u202c done.",  # an override is shown, not obeyed
        "Family: \U0001f468\u200d\U0001f469\u200d\U0001f467 and CJK \u4f60\u597d done.",
    ):
        assert line in written
    # The rows after it are where they belong.
    assert re.search(r"Stats: \d+ tokens in .* \| Total: 2 msgs", term.scrollback())


# -- a huge paste ---------------------------------------------------------------------------


def test_a_1mb_paste_is_one_message_sent_intact(make_server, terminal):
    roomy = make_server(max_model_len=10_000_000)
    term = _start(terminal, roomy, MAX_INPUT_TOKENS="9000000")
    lines = [
        f"line {number:06d} of the pasted log: some text to fill it up nicely"
        for number in range(16_500)
    ]
    pasted = "\n".join(lines)
    assert len(pasted) > 1_000_000
    term.type("\x1b[200~" + pasted + "\x1b[201~")
    term.enter(" [[tokens=5]]")
    deadline_count = len(roomy.chat_requests()) + 1
    term.wait_for(_STATS, timeout=60)
    assert len(roomy.chat_requests()) == deadline_count
    assert roomy.chat_requests()[-1].messages[-1]["content"] == pasted + " [[tokens=5]]"


# -- /retry and SIGTERM ---------------------------------------------------------------------


def test_retry_resends_a_failed_message(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    fresh_requests.inject("status:500")
    term.enter("first question [[tokens=5]]")
    term.wait_for(r"Server error \(HTTP 500\)")
    term.ctrl("c")  # the draft is dropped: /retry still knows the message
    _ask(term, "/retry")
    sent = fresh_requests.chat_requests()[-1].messages
    assert [m["content"] for m in sent[1:]] == ["first question [[tokens=5]]"]


def test_retry_asks_again_for_the_last_answer(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    _ask(term, "one [[tokens=5]]")
    _ask(term, "two [[tokens=5]]")
    _ask(term, "/retry")
    sent = fresh_requests.chat_requests()[-1].messages
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]
    assert sent[-1]["content"] == "two [[tokens=5]]"
    term.enter("/tokens")
    term.wait_for(r"Messages:  4 ")


def test_sigterm_during_an_answer_saves_what_is_complete_and_exits(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    _ask(term, "kept [[tokens=5]]")
    term.enter("cut short [[tokens=4000 rate=200]]")
    term.wait_for(r"tok/s \| TTFT")
    term.child.kill(signal.SIGTERM)
    term.wait_for(r"Terminated; the conversation is saved\.")
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 143
    assert "Traceback" not in term.scrollback()
    saved = saved_state(Path(os.environ["ZORAC_DATA_DIR"]))
    assert [m["content"] for m in saved["messages"] if m["role"] == "user"] == ["kept [[tokens=5]]"]
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5) and record.disconnected_before_done


def test_sighup_restores_the_terminal_saves_and_exits_129(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    _ask(term, "kept [[tokens=5]]")
    term.enter("cut short [[tokens=4000 rate=200]]")
    term.wait_for(r"tok/s \| TTFT")
    start = len(term.raw)
    term.child.kill(signal.SIGHUP)
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 129
    written = term.raw[start:] + (term.child.before or b"")
    assert b"\x1b[?25h" in written and b"\x1b[?2004l" in written
    saved = saved_state(Path(os.environ["ZORAC_DATA_DIR"]))
    assert [m["content"] for m in saved["messages"] if m["role"] == "user"] == ["kept [[tokens=5]]"]


def test_a_data_directory_that_cannot_be_made_is_said_once_and_chat_goes_on(
    terminal, fresh_requests, tmp_path
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    term = _start(terminal, fresh_requests, ZORAC_DATA_DIR=str(blocker / "data"))
    _ask(term, "first [[tokens=5]]")
    _ask(term, "second [[tokens=5]]")
    screen = term.scrollback()
    assert screen.count("The input history") == 1 and "cannot be written" in screen
    assert screen.count("log.db cannot be opened (Not a directory)") == 1  # said once
    assert screen.count("The chat goes on without the log") == 1
    assert "Unhandled exception" not in screen and "Press ENTER" not in screen
    assert "Traceback" not in screen
    term.ctrl("d")
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 0


def test_the_connected_line_waits_for_an_answer_started_before_it(terminal):
    words = [f"word{n} " for n in range(30)]
    slow_models = after(1.5, models("m"))
    with raw_server(models=slow_models, chat=sse_answer(words, pause=0.1)) as server:
        term = start_repl(
            terminal,
            None,
            env={"VLLM_BASE_URL": server.base_url, "VLLM_MODEL": "m"},
            model=None,
            columns=120,
            rows=40,
        )
        term.enter("hello")
        term.wait_for(r"Stats: \d+ tokens in", timeout=30)
        term.wait_for(r"Connected to", timeout=30)
        screen = term.scrollback()
    assert screen.index("Stats:") < screen.index("Connected to")
    assert screen.count("word0 word1") == 1
    assert "connecting…" not in screen.split("Connected to")[0].split("> hello")[-1]


# -- the SSE parser under fuzzing ------------------------------------------------------------


_EVENT_PARTS = st.sampled_from(
    [
        b"data: ",
        b"data:",
        b"{",
        b"}",
        b'"choices"',
        b":",
        b"[",
        b"]",
        b'{"delta":',
        b"null",
        b'"content"',
        b'"x"',
        b"\n",
        b"\r\n",
        b"\n\n",
        b": keep-alive",
        b"error: ",
        b"event: x",
        b'{"error":',
        b'"finish_reason":"stop"',
        b",",
        b"[DONE]",
        b"\xff\xfe",
        b'"usage":{}',
        b'{"choices":{"0":1}}',
        b'{"choices":"abc"}',
        b'{"choices":[1,null,"x"]}',
        b"123",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_EVENT_PARTS, max_size=40), st.lists(st.integers(1, 30), max_size=10))
def test_parser_raises_only_its_own_errors_on_any_bytes(parts, cuts):
    """Any bytes, cut anywhere: events or a ZoracError, never another exception."""
    payload = b"".join(parts)
    decoder = SSEDecoder()
    pieces, position = [], 0
    for cut in cuts:
        pieces.append(payload[position : position + cut])
        position += cut
    pieces.append(payload[position:])
    try:
        for piece in pieces:
            for data in [*decoder.feed(piece)]:
                list(decode_chunk(data))
        for data in decoder.flush():
            list(decode_chunk(data))
    except ZoracError:
        pass


@pytest.mark.parametrize(
    "data, error",
    [
        pytest.param('{"choices":{"a":1}}', None, id="choices-an-object"),
        pytest.param('{"choices":"abc"}', None, id="choices-text"),
        pytest.param("[1,2]", None, id="a-list"),
        pytest.param('{"error":"plain"}', "Server error: plain", id="an-error-as-text"),
        pytest.param('{"usage":{"prompt_tokens":"x"}}', None, id="usage-not-numbers"),
    ],
)
def test_malformed_events_are_tolerated_or_typed(data, error):
    """Each shape has one outcome: nothing to show, or one typed error with its line."""
    if error is None:
        assert list(decode_chunk(data)) == []
    else:
        with pytest.raises(ZoracError, match=f"^{error}$"):
            list(decode_chunk(data))


def test_a_rejected_key_never_appears_in_what_is_printed(make_server):
    locked = make_server(api_key="sk-right-key-0000")
    environment = {
        **os.environ,
        "VLLM_BASE_URL": locked.base_url,
        "VLLM_API_KEY": "sk-wrong-key-1234",
        "VLLM_MODEL": locked.model,
    }
    result = subprocess.run(
        [zorac_command(), "hello"],
        capture_output=True,
        env=environment,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 4
    assert b"sk-wrong-key-1234" not in result.stderr + result.stdout
    assert b"rejected the API key" in result.stderr
