"""Start-up figures, side by side with their floors: the first prompt against a bare
prompt_toolkit prompt, and ``zorac-repl --version`` against a bare interpreter.

Run: ``python bench/startup.py [--runs N] [--busy]``. Each figure is the median of N fresh
processes, the two of a pair measured alternately. Time to prompt is measured in a
pseudo-terminal, from spawning the installed ``zorac-repl`` to the prompt's ``> ``
appearing on its screen, with the dev server running so start-up work that waits on the
network is included. ``--busy`` keeps one core busy meanwhile, as a build would.
Targets: the prompt within 1.3 times the bare prompt; ``--version`` within 60 ms of the
bare interpreter.
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
from collections.abc import Callable

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


def time_bare_interpreter(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def _alternately(
    runs: int, first: Callable[[int], list[float]], second: Callable[[int], list[float]]
) -> tuple[float, float]:
    """Medians of ``first`` and ``second``, one run of each in turn."""
    ones, twos = [], []
    for _ in range(runs):
        ones += first(1)
        twos += second(1)
    return statistics.median(ones), statistics.median(twos)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--busy", action="store_true", help="keep one core busy meanwhile")
    args = parser.parse_args()
    # An installed package has its bytecode compiled at install; an editable one in an
    # environment that forbids writing it would compile every module at every start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    server = DevServer().start()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        time_to_prompt(1, server.base_url)  # unmeasured: writes the bytecode
        time_version(1)
        prompt, bare_prompt = _alternately(
            args.runs,
            lambda n: time_to_prompt(n, server.base_url),
            time_bare_prompt,
        )
        version, bare = _alternately(args.runs, time_version, time_bare_interpreter)
    finally:
        if hog is not None:
            hog.kill()
        server.stop()
    load = "one core busy" if args.busy else "quiet"
    ratio = prompt / bare_prompt
    print(f"{load}, median of {args.runs}:")
    print(
        f"  time to prompt {prompt * 1000:6.1f} ms, bare prompt_toolkit "
        f"{bare_prompt * 1000:6.1f} ms: {ratio:.2f}x (target <= 1.3x: "
        f"{'ok' if ratio <= 1.3 else 'OVER'})"
    )
    extra = version - bare
    print(
        f"  --version      {version * 1000:6.1f} ms, bare interpreter    {bare * 1000:6.1f} ms: "
        f"+{extra * 1000:.0f} ms (target <= +60 ms: {'ok' if extra <= 0.060 else 'OVER'})"
    )


if __name__ == "__main__":
    main()
