"""Resizing tmux while an answer streams: how often words are lost, repeated or cut.

Run: ``python bench/resize.py [--runs N]`` (needs tmux). Each scenario streams a long
answer into zorac-repl in a tmux window and resizes the window mid-answer, then compares
the words in scrollback with the words served. A resize races the terminal's own
re-wrapping of what it has received, so the outcome depends on timing: that is why this
is a benchmark that reports the race, not a test. The renderer's resize rules are tested
deterministically in ``tests/test_render.py`` and ``tests/test_answer_view.py``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zorac_repl.devserver import DevServer, StreamOptions


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


def _zorac_command() -> str:
    found = shutil.which("zorac-repl", path=os.path.dirname(sys.executable))
    return found or "zorac-repl"


def _start_repl(server: DevServer, home: Path, tmux_in_environment: bool, rows: int) -> _Tmux:
    """zorac-repl in a tmux window 100 columns wide, at its first prompt."""
    environment = {
        "VLLM_BASE_URL": server.base_url,
        "SYSTEM_PROMPT": "S",
        "ZORAC_DATA_DIR": str(home / "data"),
        "ZORAC_CONFIG_DIR": str(home / "config"),
        "TERM": "xterm-256color",
    }
    # $COLUMNS would pin Rich's width; a terminal user's shell does not export it.
    settings = " ".join(f"{k}={shlex.quote(v)}" for k, v in environment.items())
    unset = "-u COLUMNS -u LINES" + ("" if tmux_in_environment else " -u TMUX")
    command = f"env {unset} {settings} {shlex.quote(_zorac_command())}"
    tmux = _Tmux(home / "tmux.sock", command, 100, rows)
    try:
        tmux.wait_for("Qwen/Qwen3-8B |")
    except BaseException:
        tmux.close()
        raise
    return tmux


# (answer, widths, pause between resizes, $TMUX set, rows)
SCENARIOS = [
    # Without $TMUX, the client learns that the terminal re-wraps from where the cursor
    # went at the first narrowing.
    ("paragraphs=40", (120, 140), 0.8, False, 30),
    ("paragraphs=40", (60, 120, 80), 0.8, False, 30),
    ("paragraphs=40", (130, 70), 0.8, False, 30),
    # A window dragged narrower a few columns at a time, slowly, then quickly: tmux holds
    # back a resize that follows another within 250 ms, and meanwhile lays out what it
    # receives at a width the client has not been told.
    ("paragraphs=40", (97, 93, 91, 88), 0.8, False, 30),
    ("paragraphs=40", (97, 93, 91, 88, 85, 80), 0.05, True, 30),
    # Halved, as by a split: the cursor ends in the last column whether the terminal
    # re-wrapped or not, so only $TMUX tells.
    ("paragraphs=40", (50,), 0.8, True, 30),
    # In 16 rows, the live region re-wraps at 33 columns taller than the screen: tmux pushes
    # its top rows into scrollback, where the client cannot erase them.
    ("paragraphs=20", (33,), 0.8, True, 16),
    # One line far taller than the live region: its bottom is shown live and the whole
    # of it reaches scrollback once finished; rows pushed out of reach stay there once
    # more (render/live_region.py), so repeats are expected here, losses are not.
    ("longline=16000", (60, 120), 0.8, True, 30),
]


def _outcome(shown: list[str], expected: list[str]) -> str:
    """``exact``, ``lost`` (a served word is missing), ``repeated`` or ``cut`` (a word
    fragment, from a row the terminal re-wrapped and the client half overwrote)."""
    vocabulary = set(expected)
    words = [word for word in shown if word in vocabulary]
    if not _is_subsequence(expected, words):
        return "lost"
    if shown == expected:
        return "exact"
    return "cut" if len(words) < len(shown) else "repeated"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each scenario")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("bench/resize.py needs tmux")
    server = DevServer(options=StreamOptions(rate=0.0)).start()
    print(f"{'answer':<16} {'widths':<26} {'pause':>5} {'$TMUX':>5}  outcomes of {args.runs}")
    try:
        for answer, widths, pause, in_tmux, rows in SCENARIOS:
            counts: dict[str, int] = {}
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as home:
                    tmux = _start_repl(server, Path(home), in_tmux, rows)
                    try:
                        shown, expected = _words_after_resizes(tmux, server, answer, widths, pause)
                    finally:
                        tmux.close()
                outcome = _outcome(shown, expected)
                counts[outcome] = counts.get(outcome, 0) + 1
            told = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
            print(f"{answer:<16} {widths!s:<26} {pause:>5} {in_tmux!s:>5}  {told}")
    finally:
        server.stop()


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


if __name__ == "__main__":
    main()
