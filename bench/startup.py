"""Start-up figures: time to the first prompt, and ``zorac-repl --version``.

Run: ``python bench/startup.py [--runs N]``. Each figure is the median of N fresh
processes. Time to prompt is measured in a pseudo-terminal, from spawning the installed
``zorac-repl`` to the prompt's ``> `` appearing on its screen, with the dev server running
so start-up work that waits on the network is included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from zorac_repl.devserver import DevServer

sys.path.insert(0, os.path.dirname(__file__))
from _pty import PtyProgram


def _command() -> str:
    found = shutil.which("zorac-repl", path=os.path.dirname(sys.executable))
    return found or "zorac-repl"


def time_version(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([_command(), "--version"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _spawn_until_prompt(command: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``command`` to its prompt: the first ``>`` after the banner."""
    program = PtyProgram(command, env)
    try:
        program.read_until(b"leave.")
        program.read_until(b">", after=program.output.find(b"leave."))
        elapsed = time.perf_counter() - program.started
        program.send(b"\x04")  # Ctrl+D: leave
        program.process.wait(20)
    finally:
        program.close()
    return elapsed


def time_to_prompt(runs: int, base_url: str) -> list[float]:
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "ZORAC_DATA_DIR": data,
            "ZORAC_CONFIG_DIR": data,
            "VLLM_BASE_URL": base_url,
            "TERM": "xterm-256color",
        }
        return [_spawn_until_prompt([_command()], env) for _ in range(runs)]


_BARE_PROMPT = """
import sys
sys.stdout.write("prompt_toolkit alone; Ctrl+D to leave.\\n")
sys.stdout.flush()
from prompt_toolkit import PromptSession
try:
    PromptSession(bottom_toolbar=lambda: " toolbar ").prompt("> ")
except EOFError:
    pass
"""


def time_bare_prompt(runs: int) -> list[float]:
    """The floor: a bare prompt_toolkit prompt with a toolbar, in the same harness."""
    return [
        _spawn_until_prompt([sys.executable, "-c", _BARE_PROMPT], dict(os.environ))
        for _ in range(runs)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    server = DevServer().start()
    try:
        for label, times, target in (
            ("zorac-repl --version", time_version(args.runs), 0.150),
            ("time to prompt", time_to_prompt(args.runs, server.base_url), 0.300),
            ("bare prompt_toolkit", time_bare_prompt(args.runs), None),
        ):
            median = statistics.median(times)
            line = (
                f"{label:22} median {median * 1000:6.1f} ms  min {min(times) * 1000:6.1f} ms"
                f"  max {max(times) * 1000:6.1f} ms"
            )
            if target is not None:
                verdict = "ok" if median <= target else "OVER TARGET"
                line += f"  (target ≤ {target * 1000:.0f} ms: {verdict})"
            print(line)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
