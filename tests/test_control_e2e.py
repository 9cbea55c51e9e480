"""Conversation control in the REPL, as a user drives it: /model, /system, /edit, /undo,
/copy, /export, named sessions and the editor; the request bodies show each effect."""

from __future__ import annotations

import base64
import os
import re
import stat
import time
from pathlib import Path

from tests.helpers import start_repl
from tests.saved_state import saved_state, session_names
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

OTHER = "Qwen/Qwen3-0.6B"


def _start(
    terminal: type[Terminal],
    server: DevServer,
    *args: str,
    model: str = "Qwen/Qwen3-8B",
    **env: str,
) -> Terminal:
    return start_repl(terminal, server, *args, env=env, model=model)


def _ask(
    term: Terminal, server: DevServer, text: str, timeout: float = 15.0
) -> list[dict[str, object]]:
    """Send ``text``, wait for the answer's stats; the messages the server received."""
    before = len(server.chat_requests())
    term.enter(text)
    term.wait_count(r"Stats: ", term.scrollback().count("Stats: ") + 1, timeout=timeout)
    requests = server.chat_requests()
    assert len(requests) == before + 1
    return requests[-1].messages


def _wait_requests(server: DevServer, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(server.chat_requests()) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_model_lists_switches_and_refuses(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("/model")
    term.wait_for(r"\* Qwen/Qwen3-8B\s+context 32768 tokens")
    term.wait_for(rf"  {re.escape(OTHER)}\s+context 8192 tokens")
    term.enter("/model gpt-9")
    term.wait_for(
        r"The server has no model 'gpt-9'; it serves: Qwen/Qwen3-8B, "
        r"Qwen/Qwen3-0\.6B\. The model was not\s+changed\."
    )
    term.type("/model Qwen/Qwen3-0")
    term.child.send("\t")
    term.wait_for(re.escape(f"> /model {OTHER}"))
    term.enter()
    term.wait_for(rf"Now talking to {re.escape(OTHER)} \(context 8192 tokens\)")
    _ask(term, fresh_requests, "hello [[tokens=5]]")
    assert fresh_requests.chat_requests()[-1].body["model"] == OTHER
    term.enter("/tokens")
    term.wait_for(r"Limit:\s+MAX_INPUT_TOKENS from server \(context 8192 from vLLM 0\.33\.0")
    term.enter("/config get VLLM_MODEL")
    term.wait_for(rf"VLLM_MODEL = {re.escape(OTHER)}  \[session\]")


def test_short_model_and_system_flags(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "-m", OTHER, "-s", "Answer in French.", model=OTHER)
    messages = _ask(term, fresh_requests, "hello [[tokens=5]]")
    assert fresh_requests.chat_requests()[-1].body["model"] == OTHER
    assert messages[0] == {"role": "system", "content": "Answer in French."}
    term.enter("/system")
    term.wait_for(r"System prompt \(the -s/--system flag\):\nAnswer in French\.")


def test_system_sets_saves_and_resets(terminal, server, tmp_path):
    term = _start(terminal, server)
    term.enter("/system")
    term.wait_for(r"System prompt \(the built-in default")
    term.enter("/system Be terse.")
    term.wait_for(r"System prompt set for this conversation")
    messages = _ask(term, server, "one [[tokens=5]]")
    assert messages[0] == {"role": "system", "content": "Be terse."}
    assert saved_state(tmp_path / "data")["system_prompt"] == "Be terse."
    term.enter("/quit")
    term.close()
    term = _start(terminal, server)  # the conversation's own prompt came back with it
    messages = _ask(term, server, "two [[tokens=5]]")
    assert messages[0] == {"role": "system", "content": "Be terse."}
    term.enter("/system reset")
    term.wait_for(r"uses the default system prompt again")
    messages = _ask(term, server, "three [[tokens=5]]")
    assert str(messages[0]["content"]).startswith("You are a helpful assistant.")
    assert "system_prompt" not in saved_state(tmp_path / "data")


def test_edit_replaces_the_last_exchange(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    _ask(term, fresh_requests, "first question [[tokens=5]]")
    term.enter("/edit")
    term.wait_for(r"> first question \[\[tokens=5\]\]")
    term.wait_for(r"editing: sending replaces the last exchange")
    term.child.send("\x15")  # Ctrl+U: clear the line, then type the new version
    term.enter("better question [[tokens=5]]")
    term.wait_for(r'Replacing the last exchange \("first question \[\[tokens=5\]\]"\)')
    term.wait_count(r"Stats: ", 2)
    _wait_requests(fresh_requests, 2)
    sent = fresh_requests.chat_requests()[-1].messages
    assert [m["content"] for m in sent[1:]] == ["better question [[tokens=5]]"]
    assert "first question" in term.scrollback()  # still visible above
    term.enter("/edit")
    term.wait_for(r"> better question")
    term.child.send("\x15")
    term.enter("/undo")  # the conversation moved on: the next message replaces nothing
    term.wait_for(r"Removed 1 exchange from the conversation:\n  better question")
    messages = _ask(term, fresh_requests, "third [[tokens=5]]")
    assert [m["content"] for m in messages[1:]] == ["third [[tokens=5]]"]


def test_multiline_message_comes_back_whole(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.paste("line one\nline two")
    term.enter()
    term.wait_for(r"Stats: ")
    term.enter("/edit")
    term.wait_for(r"> line one\n… line two")


def test_undo_removes_exactly_n_after_asking(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    for number in range(1, 5):
        _ask(term, fresh_requests, f"q{number} [[tokens=5]]")
    term.enter("/undo 9")
    term.wait_for(r"There are only 4 exchanges to undo; nothing was removed\.")
    term.enter("/undo 2")
    term.wait_for(r"Remove the last 2 exchanges\? .*\(y/n\)")
    term.type("n")
    term.wait_for(r"Nothing was changed\.")
    term.enter("/undo 2")
    term.wait_for(r"Remove the last 2 exchanges\?")
    term.type("y")
    term.wait_for(
        r"Removed 2 exchanges from the conversation:\n  q3 \[\[tokens=5\]\]\n"
        r"  q4 \[\[tokens=5\]\]"
    )
    messages = _ask(term, fresh_requests, "q5 [[tokens=5]]")
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "q1 [[tokens=5]]",
        "q2 [[tokens=5]]",
        "q5 [[tokens=5]]",
    ]
    term.enter("/load")  # the removal was saved: /load does not bring it back
    term.wait_for(r"Loaded the saved session \(6 messages")
    term.enter("/undo zero")
    term.wait_for(r"Usage: /undo \[N\]")


def test_copy_puts_the_blocks_source_on_the_clipboard(terminal, fresh_requests, tmp_path):
    term = _start(terminal, fresh_requests)
    term.enter("/copy")
    term.wait_for(r"There is no answer to copy from yet\.")
    _ask(term, fresh_requests, "Explain with code [[tokens=900]]")
    served = fresh_requests.chat_requests()[-1].served_text
    fences = re.findall(r"```(\w*)\n(.*?)```", served, re.S)
    assert len(fences) >= 2
    screen = term.scrollback()
    assert f"[1] {fences[0][0]}" in screen and f"[2] {fences[1][0]}" in screen
    term.raw = b""
    term.enter("/copy 1")
    lines = len(fences[0][1].splitlines())
    term.wait_for(rf"Copied code block 1 \({fences[0][0]}, {lines} lines\) to the clipboard\.")
    sequence = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]+)\x07", term.raw)
    assert sequence is not None
    assert base64.b64decode(sequence.group(1)).decode() == fences[0][1]  # the source exactly
    term.enter("/copy")
    term.wait_for(rf"Copied code block {len(fences)} ")
    term.enter("/copy 99")
    term.wait_for(rf"The last answer has code blocks 1 to {len(fences)}; there is no block 99\.")
    term.enter("/copy two")
    term.wait_for(r"Usage: /copy \[N or all\] \[PATH\[!\]\]")
    target = tmp_path / "block.sh"
    term.enter(f"/copy 2 {target}")
    term.wait_for(r"Wrote code block 2 ")
    assert target.read_text() == fences[1][1]
    term.enter(f"/copy 1 {target}")
    term.wait_for(r"exists; nothing\s+was\s+written\.\s+End\s+the\s+path\s+with\s+!")
    assert target.read_text() == fences[1][1]
    term.enter(f"/copy 1 {target}!")
    term.wait_for(r"Wrote code block 1 ")
    assert target.read_text() == fences[0][1]
    term.raw = b""
    term.enter("/copy all")
    term.wait_for(r"Copied the whole answer")
    sequence = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]+)\x07", term.raw)
    assert sequence is not None and base64.b64decode(sequence.group(1)).decode() == served


def test_copy_inside_tmux_names_the_option(terminal, fresh_requests, tmp_path):
    term = _start(
        terminal,
        fresh_requests,
        TMUX="/tmp/nonexistent-tmux,1,0",
        PATH=f"{tmp_path}:{os.environ['PATH']}",
    )
    _ask(term, fresh_requests, "Explain with code [[tokens=900]]")
    term.enter("/copy 1")
    term.wait_for(r"set-clipboard on")


def test_copy_refuses_a_payload_too_big_for_terminals(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "--max-tokens", "20000")
    _ask(term, fresh_requests, "big [[longline=80000]]", timeout=90)
    term.enter("/copy all")
    found = term.wait_for(
        r"is\s+([\d,]+)\s+bytes,\s+more\s+than\s+a\s+terminal's\s+clipboard\s+takes\s+"
        r"\(([\d,]+)\s+bytes\s+at\s+most\)[^>]*/copy\s+all\s+PATH\s+writes"
    )
    size, limit = (int(group.replace(",", "")) for group in found.groups())
    assert size > limit  # the two figures agree with the refusal


def test_export_writes_markdown_and_never_overwrites(terminal, fresh_requests, tmp_path):
    term = _start(terminal, fresh_requests)
    term.enter("/export")
    term.wait_for(r"There is nothing to export yet\.")
    _ask(term, fresh_requests, "Think then answer [[think=30 tokens=40]]")
    target = tmp_path / "chat.md"
    term.enter(f"/export {target}")
    term.wait_for(r"Exported 2 messages to\s")
    text = target.read_text()
    assert text.startswith("# zorac-repl conversation")
    assert "- Model: Qwen/Qwen3-8B" in text and fresh_requests.base_url in text
    assert "## You\n\nThink then answer" in text and "## Assistant" in text
    thought = fresh_requests.chat_requests()[-1].served_reasoning.strip()
    assert "<details>\n<summary>Thinking (30 tokens" in text and thought in text
    term.enter(f"/export {target}")
    term.wait_for(r"exists; nothing\s+was\s+written")
    term.enter("/export")  # the default name, in the current directory
    found = term.wait_for(r"Exported 2 messages to\s+(\S+zorac-\d{8}-\d{4}(-\d+)?\.md)")
    Path(found.group(1)).unlink()


def test_named_sessions_save_list_switch_and_resume(terminal, server, tmp_path):
    data = tmp_path / "data"
    term = _start(terminal, server)
    _ask(term, server, "default talk [[tokens=5]]")
    term.enter("/save ../evil")
    term.wait_for(r"'\.\./evil' cannot name a session")
    term.enter("/save work")
    term.wait_for(r"Saved a copy of this conversation as 'work' \(2 messages\)")
    assert saved_state(data, "work")["messages"][0]["content"] == "default talk [[tokens=5]]"
    assert stat.S_IMODE((data / "log.db").stat().st_mode) == 0o600
    term.enter("/save work")
    term.wait_for(r"A session named 'work' exists; nothing was saved")
    term.enter("/load nothing")
    term.wait_for(r"There is no saved session 'nothing'")
    _ask(term, server, "more default [[tokens=5]]")
    term.enter("/load work")
    term.wait_for(r"Switched to the session 'work' \(2 messages")
    messages = _ask(term, server, "work talk [[tokens=5]]")
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "default talk [[tokens=5]]",
        "work talk [[tokens=5]]",
    ]
    term.enter("/sessions")
    term.wait_for(r"  default\s+4 msgs .*\"default talk")
    term.wait_for(r"\* work\s+4 msgs")
    term.enter("/quit")
    term.close()
    # -c in one-shot continues the last interactive session, and keeps the exchange.
    import subprocess

    from tests.conftest import zorac_command

    env = {**os.environ, "VLLM_BASE_URL": server.base_url}
    result = subprocess.run(
        [zorac_command(), "-c", "one more [[tokens=5]]"],
        env=env,
        capture_output=True,
        timeout=60,
        input=b"",
    )
    assert result.returncode == 0, result.stderr
    sent = server.chat_requests()[-1].messages
    assert [m["content"] for m in sent if m["role"] == "user"] == [
        "default talk [[tokens=5]]",
        "work talk [[tokens=5]]",
        "one more [[tokens=5]]",
    ]
    assert len(saved_state(data, "work")["messages"]) == 6
    # --session starts in a session, making it if new.
    term = _start(terminal, server, "--session", "fresh")
    assert "Session 'fresh'" in term.text()
    messages = _ask(term, server, "fresh start [[tokens=5]]")
    assert [m["content"] for m in messages if m["role"] == "user"] == ["fresh start [[tokens=5]]"]
    assert "fresh" in session_names(data)
    # -c while that session is open elsewhere is refused in one line.
    result = subprocess.run(
        [zorac_command(), "-c", "clash"], env=env, capture_output=True, timeout=60, input=b""
    )
    assert result.returncode == 2
    assert b"The session 'fresh' is open in another running zorac-repl" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_session_flag_is_one_line(terminal, server):
    import subprocess

    from tests.conftest import zorac_command

    result = subprocess.run(
        [zorac_command(), "--session", "a/b", "q"],
        capture_output=True,
        timeout=30,
        input=b"",
        env={**os.environ, "VLLM_BASE_URL": server.base_url},
    )
    assert result.returncode == 2
    assert result.stderr.decode().startswith("zorac-repl: --session: 'a/b' cannot name")


def test_editor_command_and_missing_editor(terminal, fresh_requests, tmp_path):
    script = tmp_path / "fake-editor"
    script.write_text("#!/bin/sh\nprintf 'from the editor\\nsecond line' > \"$1\"\n")
    script.chmod(0o755)
    term = _start(terminal, fresh_requests, VISUAL=str(script))
    term.enter("/editor")
    term.wait_for(r"> from the editor\n… second line")
    term.enter()
    _wait_requests(fresh_requests, 1)
    assert fresh_requests.chat_requests()[-1].messages[-1]["content"] == (
        "from the editor\nsecond line"
    )
    term.close()
    term = _start(terminal, fresh_requests, VISUAL="no-such-editor-here")
    term.enter("/editor")
    term.wait_for(r"\$VISUAL is 'no-such-editor-here', which is not a program")
    term.type("x")
    term.child.send("\x18\x05")  # Ctrl-X Ctrl-E
    term.wait_count(r"which is not a program", 2)
    assert "x" in term.input_line()


def test_an_editor_that_fails_is_said_and_the_input_stays(terminal, fresh_requests, tmp_path):
    script = tmp_path / "failing-editor"
    script.write_text("#!/bin/sh\nprintf 'half-written' > \"$1\"\nexit 3\n")
    script.chmod(0o755)
    term = _start(terminal, fresh_requests, EDITOR=str(script), VISUAL="")
    term.type("my draft")
    term.child.send("\x18\x05")  # Ctrl-X Ctrl-E
    term.wait_flat(r"exited with code 3; the input was left as it was")
    assert "my draft" in term.input_line() and "half-written" not in term.input_line()
