"""Ctrl+C latency: from the keypress to the server seeing the disconnect, and to the prompt.

Run: ``python bench/cancel.py [--runs N]``. The installed ``zorac-repl`` runs on a pty
against the dev server; each run starts a long answer, waits until it streams, sends
Ctrl+C, and times (a) the server recording that the client hung up before ``[DONE]`` and
(b) ``Response interrupted.`` on the screen. Target: both within 100 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from zorac_repl.devserver import DevServer

sys.path.insert(0, os.path.dirname(__file__))
from _pty import PtyProgram


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    server = DevServer().start()
    command = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
    to_server, to_screen = [], []
    with tempfile.TemporaryDirectory() as data:
        env = {
            **os.environ,
            "ZORAC_DATA_DIR": data,
            "ZORAC_CONFIG_DIR": data,
            "VLLM_BASE_URL": server.base_url,
            "TERM": "xterm-256color",
        }
        program = PtyProgram([command], env)
        try:
            program.read_until(b"Qwe")  # the toolbar shows the detected model
            for run in range(args.runs):
                mark = len(program.output)
                program.send(f"Long answer {run} [[tokens=5000 rate=300]]\r".encode())
                program.read_until(b"tok/s | TTFT", after=mark)
                time.sleep(0.3)
                record = server.chat_requests()[-1]
                pressed = time.perf_counter()
                program.send(b"\x03")
                shown = program.read_until(b"Response interrupted.", after=mark)
                record.finished.wait(5)
                assert record.disconnected_before_done and record.ended_at is not None, (
                    "the server did not see the hang-up"
                )
                to_server.append(record.ended_at - pressed)
                to_screen.append(shown - pressed)
                program.send(b"\x15")  # Ctrl+U: clear the restored draft
        finally:
            program.close()
            server.stop()
    for label, times in (
        ("Ctrl+C → server sees hang-up", to_server),
        ("Ctrl+C → 'Response interrupted.'", to_screen),
    ):
        print(
            f"{label:34} median {statistics.median(times) * 1000:6.1f} ms  "
            f"max {max(times) * 1000:6.1f} ms  (target ≤ 100 ms)"
        )


if __name__ == "__main__":
    main()
