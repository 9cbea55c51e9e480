"""The installed zorac-repl in a pseudo-terminal: type, press Ctrl+C, read the screen."""

from __future__ import annotations

import re
import time

from tests.conftest import free_port
from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer


def _start(terminal: type[Terminal], server: DevServer, *args: str) -> Terminal:
    return start_repl(terminal, server, *args)


def test_answer_streams_onto_the_screen_with_final_stats(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("Explain paged attention")
    term.wait_for(
        r"Stats: \d+ tokens in [\d.]+s \([\d.]+ tok/s( end-to-end)?, TTFT [\d.]+s\) \| "
        r"Total: 2 msgs, ~\d+/28768 tokens"
    )  # 32768 context less 4000 output
    served = fresh_requests.chat_requests()[-1].served_text
    last_line = served.strip().splitlines()[-1]
    assert last_line in term.scrollback()
    assert fresh_requests.chat_requests()[-1].done_sent


def test_toolbar_shows_live_tokens_per_second_while_streaming(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("Explain KV cache [[tokens=800 rate=100]]")
    term.wait_for(r"\d+ tokens \| [\d.]+s \| [\d.]+ tok/s \| TTFT [\d.]+s")
    term.ctrl("c")
    term.wait_for("Response interrupted")


def test_ctrl_c_mid_answer_restores_draft_and_server_sees_disconnect(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    question = "Tell me everything about quantization [[tokens=3000 rate=150]]"
    term.enter(question)
    term.wait_for(r"tok/s \| TTFT")
    pressed = time.monotonic()
    term.ctrl("c")
    term.wait_for(r"Response interrupted\. Stats: \d+ tokens")
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5)
    assert record.disconnected_before_done and not record.done_sent
    # The prompt is back, holding the question as a draft.
    term.wait_for(r"> Tell me everything about quantization")
    assert time.monotonic() - pressed < 5
    # Sending the draft again sends one user message, not two, and no partial answer.
    term.enter()
    deadline = time.monotonic() + 10
    while len(fresh_requests.chat_requests()) < 2 and time.monotonic() < deadline:
        term.pump()
    messages = fresh_requests.chat_requests()[-1].messages
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == question
    term.ctrl("c")
    term.wait_for(r"(?s)Response interrupted.*Response interrupted")


def test_no_stream_mode_shows_the_whole_answer(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "--no-stream")
    term.enter("Explain prefix caching")
    term.wait_for(r"Stats: \d+ tokens")
    request = fresh_requests.chat_requests()[-1]
    assert request.body is not None and request.body["stream"] is False
    assert request.served_text.strip().splitlines()[-1] in term.scrollback()


def test_server_down_gives_one_line_and_the_repl_stays_usable(terminal):
    dead_port = free_port()
    base_url = f"http://127.0.0.1:{dead_port}/v1"
    term = terminal(env={"VLLM_BASE_URL": base_url, "VLLM_MODEL": "m"})
    term.wait_for(r"Ctrl\+D to leave")
    term.enter("hello there")
    term.wait_for(rf"Cannot reach {base_url}: is vLLM running\?")
    assert "Traceback" not in term.scrollback()
    term.wait_for(r"> hello there")  # the message is back in the input
    term.ctrl("u")
    term.enter("/help")
    term.wait_for(r"Commands:")


def test_unknown_command_suggests_the_closest(terminal, server):
    term = _start(terminal, server)
    term.enter("/hepl")
    term.wait_flat(r"Unknown command: /hepl\. Did you mean /help\? Type /help for the list;")


def test_an_unknown_command_stays_in_the_input_and_double_slash_sends_it(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("/etc/hosts what is this file")
    term.wait_flat(r"begin it with //")
    term.wait_for(r"> /etc/hosts what is this file")  # the line came back
    term.type("\x01/")  # Ctrl+A, then one more slash at the start
    term.enter("")
    term.wait_for(r"Stats:")
    content = fresh_requests.chat_requests()[-1].messages[-1]["content"]
    assert content == "/etc/hosts what is this file"


def test_alt_enter_inserts_a_newline_and_enter_sends_one_message(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.type("first line")
    term.type("\x1b\r")  # Alt+Enter
    term.enter("second line [[echo]]")
    term.wait_for(r"Stats:")
    content = fresh_requests.chat_requests()[-1].messages[-1]["content"]
    assert content == "first line\nsecond line [[echo]]"


def test_pasted_multiline_text_stays_one_message(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.type("\x1b[200~line one\nline two\nline three\x1b[201~")
    term.enter(" [[echo]]")
    term.wait_for(r"Stats:")
    content = fresh_requests.chat_requests()[-1].messages[-1]["content"]
    assert content == "line one\nline two\nline three [[echo]]"


def test_ctrl_c_at_the_prompt_clears_the_line_and_ctrl_d_leaves(terminal, server):
    term = _start(terminal, server)
    term.type("half a thought")
    term.wait_for("> half a thought")
    term.ctrl("c")
    deadline = time.monotonic() + 5
    while "half a thought" in term.input_line() and time.monotonic() < deadline:
        term.pump()
    assert "half a thought" not in term.input_line()
    term.ctrl("d")
    term.child.expect(pexpect_eof(), timeout=10)
    term.child.close()
    assert term.child.exitstatus == 0


def pexpect_eof() -> object:
    import pexpect

    return pexpect.EOF


def test_the_toolbars_last_figures_go_with_their_answer(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("hello [[tokens=5]]")
    term.wait_for(r"Stats:")
    term.wait_for(r"last: \d+ tokens")
    term.enter("/undo")
    term.wait_for(r"0 msgs")
    assert "last:" not in term.text().splitlines()[-1]
    term.enter("again [[fault=drop]]")
    term.wait_for(r"closed the connection|ended the answer")
    term.wait_for(r"0 msgs")
    assert "last:" not in term.text().splitlines()[-1]


def test_the_toolbar_and_tokens_give_the_same_count(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("hello [[tokens=40]]")
    term.wait_for(r"Stats:")
    term.enter("/tokens")
    told = term.wait_for(r"Tokens:\s+(\d+) of \d+")
    term.wait_for(r"Limit:")
    toolbar = re.search(r"~(\d+)/\d+ tokens", term.text().splitlines()[-1])
    assert toolbar and toolbar.group(1) == told.group(1)  # it said 642 and 646 before


def _words_whole(screen: str, sentence: str) -> bool:
    """Every word of ``sentence`` appears whole on some row of ``screen``."""
    rows = {word for row in screen.splitlines() for word in row.split()}
    return all(word in rows for word in sentence.split())


def test_start_up_lines_wrap_at_words_in_a_narrow_terminal(terminal, fresh_requests):
    term = _start_narrow(terminal, fresh_requests)
    screen = term.scrollback()
    assert _words_whole(screen, "Type /help for commands, Ctrl+D to leave.")
    assert _words_whole(screen, "visible to other users in the process list (ps);")


def _start_narrow(terminal, server):
    return start_repl(
        terminal, server, "--api-key", "k-123", env={"SYSTEM_PROMPT": "S"}, columns=44
    )


def test_a_message_taller_than_the_screen_reaches_scrollback_once_whole(terminal, fresh_requests):
    term = start_repl(terminal, fresh_requests, env={"SYSTEM_PROMPT": "S"}, rows=20)
    lines = [f"review line {n:03d} of the request" for n in range(60)]
    term.child.send("\x1b[200~" + "\n".join(lines) + " [[tokens=5]]\x1b[201~")
    term.wait_for(r"review line 059")
    term.enter()
    term.wait_for(r"Stats:")
    scrollback = term.scrollback()
    for line in lines:
        assert scrollback.count(line) == 1, line
    positions = [scrollback.index(line) for line in lines]
    assert positions == sorted(positions)
    between = scrollback[positions[0] : positions[-1]]
    assert "msgs" not in between and "Qwen" not in between  # no toolbar row inside it


def test_ctrl_l_clears_row_by_row_not_with_a_whole_screen_erase(terminal, fresh_requests):
    term = start_repl(terminal, fresh_requests, env={"SYSTEM_PROMPT": "S"}, rows=15)
    start = len(term.raw)
    term.child.send("\x0c")  # Ctrl+L
    term.wait_for(r"Qwen")  # the toolbar is back at once
    # A whole-screen erase is what tmux's scroll-on-clear pushes into its history: a
    # blank screenful and the old prompt (tmux 3.3 and later, by default).
    assert b"\x1b[2J" not in term.raw[start:]
    assert "Ctrl+D to leave" not in term.text()  # the old screen is gone
    # Nor from the top-left corner by the redraws after it (prompt_toolkit erases down
    # from the prompt): the prompt is on the second row.
    screen = term.text().splitlines()
    assert screen[0].strip() == "" and screen[1].startswith(">")
    term.enter("hello [[tokens=5]]")
    term.wait_for(r"Stats:")


def test_up_arrow_recalls_a_large_paste_as_its_placeholder(terminal, fresh_requests):
    term = start_repl(terminal, fresh_requests, env={"SYSTEM_PROMPT": "S"})
    pasted = "".join(f"log line {n}\n" for n in range(3000))  # 37 kB: a placeholder
    term.child.send("\x1b[200~" + pasted + "\x1b[201~")
    term.wait_for(r"\[pasted \d+ kB, 3001 lines\]")
    term.enter(" [[tokens=5]]")
    term.wait_for(r"Stats:")
    term.child.send("\x1b[A")  # Up
    term.wait_for(r"> \[pasted \d+ kB, 3001 lines\] \[\[tokens=5\]\]")
    assert "log line 2999" not in term.text()


def test_ctrl_c_on_an_input_taller_than_the_screen_leaves_nothing_of_it(terminal, fresh_requests):
    term = start_repl(terminal, fresh_requests, env={"SYSTEM_PROMPT": "S"}, rows=20)
    lines = [f"draft line {n:03d}" for n in range(60)]
    term.child.send("\x1b[200~" + "\n".join(lines) + "\x1b[201~")
    term.wait_for(r"draft line 059")
    term.ctrl("c")
    term.wait_for(r"Qwen")
    time.sleep(0.3)
    term.pump(0.2)
    assert "draft line" not in term.scrollback()  # no fragment, no toolbar row with it
    term.enter("hello [[tokens=5]]")
    term.wait_for(r"Stats:")
