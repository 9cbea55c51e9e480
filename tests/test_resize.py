"""Resizing the terminal while an answer streams, in a terminal that re-wraps (tmux)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import zorac_command
from zorac_repl.devserver import DevServer

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class _Tmux:
    def __init__(self, socket: Path, command: str, width: int, height: int) -> None:
        self.socket = str(socket)
        self.run("new-session", "-d", "-s", "z", "-x", str(width), "-y", str(height), command)
        self.run("set-option", "-t", "z", "history-limit", "50000")

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "z")

    def history(self) -> str:
        """Everything, with rows the terminal wrapped joined back into their lines."""
        return self.run("capture-pane", "-p", "-J", "-S", "-", "-E", "-", "-t", "z")

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.screen():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared:\n{self.screen()}")
            time.sleep(0.05)

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True, timeout=30)


def _is_subsequence(needle: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(word in remaining for word in needle)


def _start_repl(
    server: DevServer, tmp_path: Path, tmux_in_environment: bool, rows: int = 30
) -> _Tmux:
    """zorac-repl in a tmux window 100 columns wide, at its first prompt."""
    environment = {
        "VLLM_BASE_URL": server.base_url,
        "SYSTEM_PROMPT": "S",
        "ZORAC_DATA_DIR": os.environ["ZORAC_DATA_DIR"],
        "ZORAC_CONFIG_DIR": os.environ["ZORAC_CONFIG_DIR"],
        "TERM": "xterm-256color",
    }
    # $COLUMNS would pin Rich's width; a terminal user's shell does not export it.
    settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    unset = "-u COLUMNS -u LINES" + ("" if tmux_in_environment else " -u TMUX")
    command = f"env {unset} {settings} {shlex.quote(zorac_command())}"
    tmux = _Tmux(tmp_path / "tmux.sock", command, 100, rows)
    try:
        tmux.wait_for("Qwen/Qwen3-8B |")
    except BaseException:
        tmux.close()
        raise
    return tmux


@pytest.mark.parametrize(
    "answer, widths, pause, tmux_in_environment",
    [
        # Without $TMUX, the client learns that the terminal re-wraps from where the cursor
        # went at the first narrowing.
        ("paragraphs=40", (120, 140), 0.8, False),
        ("paragraphs=40", (60, 120, 80), 0.8, False),
        ("paragraphs=40", (130, 70), 0.8, False),
        # A window dragged narrower a few columns at a time, slowly, then quickly: tmux holds
        # back a resize that follows another within 250 ms, and meanwhile lays out what it
        # receives at a width the client has not been told.
        ("paragraphs=40", (97, 93, 91, 88), 0.8, False),
        ("paragraphs=40", (97, 93, 91, 88, 85, 80), 0.05, True),
        # Halved, as by a split: the cursor ends in the last column whether the terminal
        # re-wrapped or not, so only $TMUX tells.
        ("paragraphs=40", (50,), 0.8, True),
        # One line far taller than the live region: its bottom is shown live and the whole
        # of it reaches scrollback once finished.
        ("longline=16000", (60, 120), 0.8, True),
    ],
)
def test_resizing_mid_answer_loses_and_duplicates_nothing(
    fresh_requests: DevServer, tmp_path: Path, answer, widths, pause, tmux_in_environment
):
    tmux = _start_repl(fresh_requests, tmp_path, tmux_in_environment)
    try:
        shown, expected = _words_after_resizes(tmux, fresh_requests, answer, widths, pause)
    finally:
        tmux.close()
    # A row cut in two by the terminal's re-wrapping and half overwritten reads as a
    # fragment ("termiSection"); keep the real words.
    vocabulary = set(expected)
    words = [word for word in shown if word in vocabulary]
    assert _is_subsequence(expected, words)  # nothing lost
    if not answer.startswith("longline"):
        assert shown == expected  # exactly once, whatever the widths
    else:
        # The live region fills the screen; narrowed, it re-wraps taller than the screen
        # and tmux pushes its top rows into scrollback, out of reach: they stay there once
        # more (render/live_region.py). At most a screenful of words.
        narrowings = sum(b < a for a, b in zip((100, *widths), widths, strict=False))
        assert len(words) - len(expected) <= 30 * 25 * narrowings


def test_rows_the_terminal_pushed_off_the_screen_are_not_drawn_again(
    fresh_requests: DevServer, tmp_path: Path
):
    # In 16 rows, the live region (a paragraph or two, 6 to 13 rows at 100 columns)
    # re-wraps at 33 columns taller than the screen: tmux pushes its top rows into
    # scrollback, where the client cannot erase them.
    tmux = _start_repl(fresh_requests, tmp_path, tmux_in_environment=True, rows=16)
    try:
        shown, expected = _words_after_resizes(tmux, fresh_requests, "paragraphs=20", (33,))
    finally:
        tmux.close()
    assert shown == expected


def _words_after_resizes(
    tmux: _Tmux,
    server: DevServer,
    answer: str,
    widths: tuple[int, ...],
    pause: float = 0.8,
) -> tuple[list[str], list[str]]:
    """Ask for ``answer``, resize to each of ``widths`` while it streams, ``pause`` seconds
    apart; the words in scrollback between the question and the stats, and those served."""
    question = f"stream [[{answer} rate=700]]"
    tmux.run("send-keys", "-t", "z", question, "Enter")
    tmux.wait_for("tok/s")
    for step, width in enumerate(widths):
        time.sleep(0.8 if step == 0 else pause)
        tmux.run("resize-window", "-t", "z", "-x", str(width))
    tmux.wait_for("Stats:", timeout=60)
    served = server.chat_requests()[-1].served_text
    history = tmux.history()
    assert "> " + question in history  # nothing above the answer was touched
    shown = history[history.index("> " + question) :]
    shown = shown[shown.index("\n") + 1 : shown.index("Stats:")]
    return shown.split(), served.split()


def test_keys_typed_while_the_client_asks_for_the_cursor_reach_the_next_prompt(
    fresh_requests: DevServer, tmp_path: Path
):
    tmux = _start_repl(fresh_requests, tmp_path, tmux_in_environment=True)
    try:
        tmux.run("send-keys", "-t", "z", "stream [[paragraphs=6 rate=400]]", "Enter")
        tmux.wait_for("tok/s")
        # Typed while the answer streams: waiting in the terminal when the resize makes
        # the client read its input for the cursor report.
        tmux.run("send-keys", "-t", "z", "-l", "typed ahead")
        time.sleep(0.2)
        tmux.run("resize-window", "-t", "z", "-x", "80")
        tmux.run("send-keys", "-t", "z", "-l", " and after")
        tmux.wait_for("Stats:", timeout=60)
        tmux.wait_for("> typed ahead and after")
    finally:
        tmux.close()
