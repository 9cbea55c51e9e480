"""One-shot and pipe mode through real pipes: stdout is exactly the model's text; exit codes."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

import zorac_repl
from tests.conftest import free_port, zorac_command
from zorac_repl.devserver import DevServer


def _run(
    args: list[str], server: DevServer | None, stdin: bytes | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, **env}
    if server is not None:
        environment["VLLM_BASE_URL"] = server.base_url
    return subprocess.run(
        [zorac_command(), *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        timeout=60,
    )


def _expected_stdout(served: str) -> bytes:
    return (served if served.endswith("\n") else served + "\n").encode()


def test_piped_prompt_prints_exactly_the_served_text(fresh_requests):
    result = _run([], fresh_requests, stdin=b"Explain tensor parallelism\n")
    assert result.returncode == 0, result.stderr
    record = fresh_requests.chat_requests()[-1]
    assert record.messages[-1]["content"] == "Explain tensor parallelism"
    assert result.stdout == _expected_stdout(record.served_text)
    assert result.stderr == b""


def test_argument_prompt_streams_a_long_answer_byte_for_byte(fresh_requests):
    result = _run(["--max-tokens", "5000", "Explain KV cache [[tokens=4000]]"], fresh_requests)
    assert result.returncode == 0, result.stderr
    record = fresh_requests.chat_requests()[-1]
    assert len(record.served_text) > 10_000
    assert result.stdout == _expected_stdout(record.served_text)


def test_argument_is_the_instruction_and_stdin_the_material(fresh_requests):
    result = _run(
        ["Summarize this: [[echo]]"],
        fresh_requests,
        stdin="a line of material\nand another, naïve ✓\n".encode(),
    )
    assert result.returncode == 0, result.stderr
    content = fresh_requests.chat_requests()[-1].messages[-1]["content"]
    assert content == "Summarize this: [[echo]]\n\na line of material\nand another, naïve ✓"


def test_no_stream_flag_sends_one_request_and_prints_the_text(fresh_requests):
    result = _run(["--no-stream", "Explain quantization"], fresh_requests)
    assert result.returncode == 0, result.stderr
    record = fresh_requests.chat_requests()[-1]
    assert record.body is not None and record.body["stream"] is False
    assert result.stdout == _expected_stdout(record.served_text)


def test_unreachable_server_exits_3_with_one_line(tmp_path):
    port = free_port()
    result = _run(["hello"], None, VLLM_BASE_URL=f"http://127.0.0.1:{port}/v1")
    assert result.returncode == 3
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert lines == [
        f"zorac-repl: Cannot reach http://127.0.0.1:{port}/v1: is vLLM running? "
        "Start it with 'vllm serve MODEL', pass --base-url, or try --demo."
    ]


def test_server_error_exits_4_with_the_servers_message(server):
    result = _run(["hello"], server, VLLM_MODEL="no-such-model")
    assert result.returncode == 4
    assert b"The model `no-such-model` does not exist" in result.stderr
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_interrupt_exits_130_and_the_server_sees_the_disconnect(fresh_requests):
    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    process = subprocess.Popen(
        [zorac_command(), "Tell me a lot [[tokens=3000 rate=200]]"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None
    first = process.stdout.read(200)  # the answer has started
    assert first
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert b"Response interrupted." in err
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5)
    assert record.disconnected_before_done
    printed = first + out
    assert printed.endswith(b"\n")  # the final newline comes even after an interruption
    assert record.served_text.encode().startswith(printed[:-1])


@pytest.mark.parametrize(
    "stdin, message",
    [
        pytest.param(b"", b"nothing to ask", id="empty"),
        pytest.param(b"\xff\xfe\x00binary", b"not UTF-8", id="invalid-utf8"),
        pytest.param(b"text\x00with nul", b"binary data", id="nul-bytes"),
    ],
)
def test_bad_stdin_exits_2_with_a_clear_line(server, stdin, message):
    result = _run([], server, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == b""


def test_bad_setting_exits_2_naming_the_variable(server):
    result = _run(["hi"], server, TEMPERATURE="hot")
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "zorac-repl: $TEMPERATURE: 'hot' is not valid; expected a number from 0 to 2, e.g. 0.7."
    )


def test_version_prints_the_version():
    result = _run(["--version"], None)
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"zorac-repl {zorac_repl.__version__}"


def test_reader_closing_the_pipe_stops_quietly_with_141(fresh_requests):
    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    process = subprocess.Popen(
        [zorac_command(), "Long one [[tokens=5000 rate=500]]"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.read(10)
    process.stdout.close()  # like `| head -c 10`
    assert process.wait(timeout=10) == 141
    assert process.stderr.read() == b""
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5)
    assert record.disconnected_before_done


def _saved_session(directory, exchanges: int) -> None:
    """A session saved by the REPL: ``exchanges`` long questions and answers."""
    from zorac_repl.conversation.history import Conversation
    from zorac_repl.conversation.message import AnswerMeta
    from zorac_repl.log.saved import SavedConversation
    from zorac_repl.log.store import LogStore

    conversation = Conversation()
    for number in range(exchanges):
        conversation.add_user(f"question {number} " + "words " * 150)
        conversation.add_assistant(f"answer {number} " + "words " * 150, AnswerMeta(model="m"))
    saved = SavedConversation(conversation, LogStore(directory / "log.db"))
    saved.restore()
    assert saved.save() is None
    saved.release()


def test_continuing_a_long_session_summarizes_first_as_the_repl_does(fresh_requests, tmp_path):
    _saved_session(tmp_path / "data", exchanges=6)
    result = _run(
        ["-c", "and now? [[tokens=5]]"],
        fresh_requests,
        MAX_INPUT_TOKENS="1500",
        KEEP_RECENT_MESSAGES="2",
    )
    assert result.returncode == 0, result.stderr
    asked = [r.messages for r in fresh_requests.chat_requests()]
    assert "Summarize the conversation above" in asked[0][-1]["content"]
    sent = asked[-1]
    assert sent[1]["content"].startswith("Summary of the earlier conversation:")
    assert [m["content"] for m in sent if m["role"] == "user"][-1] == "and now? [[tokens=5]]"
    assert b"Summarized 10 older messages" in result.stderr


def test_the_stats_line_counts_against_the_window_the_server_runs(fresh_requests):
    """On a terminal's stderr, one-shot figures use the budget the REPL would show."""
    import pty

    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [zorac_command(), "hello [[tokens=5]]"],
            input=b"",
            stdout=subprocess.PIPE,
            stderr=follower,
            env={**os.environ, "VLLM_BASE_URL": fresh_requests.base_url},
            timeout=60,
        )
        os.close(follower)
        follower = -1
        stderr = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            stderr += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert result.returncode == 0
    # The dev server's window (32768) less the room for the answer (MAX_OUTPUT_TOKENS, 4000).
    assert b"/28768 tokens" in stderr, stderr


def test_an_answer_cut_by_the_output_limit_exits_6_with_a_line(fresh_requests):
    result = _run(["--max-tokens", "30", "Explain KV cache [[tokens=400]]"], fresh_requests)
    assert result.returncode == 6, result.stderr
    record = fresh_requests.chat_requests()[-1]
    assert result.stdout.decode().strip() == record.served_text.strip()
    assert "stopped at the output limit (30 tokens)" in result.stderr.decode()


def test_one_shot_lines_on_a_terminal_wrap_at_words(fresh_requests):
    import pexpect

    environment = {**os.environ, "VLLM_BASE_URL": fresh_requests.base_url}
    child = pexpect.spawn(
        zorac_command(), ["hello [[tokens=5]]"], env=environment, timeout=30, dimensions=(40, 44)
    )
    child.expect(pexpect.EOF)
    shown = child.before.decode()
    stats = re.search(r"Stats:[\s\S]*", shown)
    assert stats is not None
    rows = [re.sub(r"\x1b\[[0-9;]*m", "", row).strip() for row in stats.group(0).splitlines()]
    text = " ".join(rows)
    for word in ("tokens", "Total:", "msgs,"):
        assert word in text.split()  # never "tok" / "ens" split across rows
    assert all(len(row) <= 44 for row in rows)
