"""A huge paste: from the first byte of a 1 MB bracketed paste to the request arriving.

Run: ``python bench/paste.py [--runs N] [--size BYTES]``. The installed ``zorac-repl``
runs on a pty against the dev server; the paste is written as a terminal writes it
(bracketed, in pieces as the pty accepts them), Enter follows, and the time until the
dev server has the whole message is printed. Target: under a second for 1 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import statistics
import sys
import tempfile
import time

from zorac_repl.devserver import DevServer

sys.path.insert(0, os.path.dirname(__file__))
from _pty import PtyProgram


def _paste(program: PtyProgram, data: bytes) -> None:
    """Write ``data`` while draining the program's output, as a terminal does."""
    master = program._master  # the benchmark's own pty
    view = memoryview(data)
    while view:
        readable, writable, _ = select.select([master], [master], [], 5.0)
        if readable:
            program.output += os.read(master, 1 << 20)
        if writable:
            written = os.write(master, view[:4096])
            view = view[written:]


def run_once(server: DevServer, size: int) -> float:
    data_dir = tempfile.mkdtemp(prefix="zorac-paste-")
    environment = {**os.environ, "VLLM_BASE_URL": server.base_url, "ZORAC_DATA_DIR": data_dir,
                   "ZORAC_CONFIG_DIR": data_dir, "MAX_INPUT_TOKENS": "9000000",
                   "TERM": "xterm-256color"}
    program = PtyProgram([shutil.which("zorac-repl") or "zorac-repl"], environment, 40, 100)
    try:
        program.read_until(b"3-8B", timeout=30)  # the toolbar shows the model
        line = b"line of a pasted log file with some words in it, numbered %07d\n"
        text = b"".join(line % number for number in range(size // len(line % 0) + 1))[:size]
        before = len(server.chat_requests())
        started = time.perf_counter()
        _paste(program, b"\x1b[200~" + text + b"\x1b[201~\r")
        deadline = started + 60
        while len(server.chat_requests()) == before and time.perf_counter() < deadline:
            with contextlib.suppress(TimeoutError):  # keep reading what it draws
                program.read_until(b"\x00never", timeout=0.01)
        arrived = time.perf_counter()
        content = server.chat_requests()[-1].messages[-1]["content"]
        assert content == text.decode(), "the paste did not arrive intact"
        return arrived - started
    finally:
        program.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    server = DevServer(max_model_len=10_000_000).start()
    try:
        times = [run_once(server, args.size) for _ in range(args.runs)]
    finally:
        server.stop()
    print(f"{args.size / 1e6:.1f} MB paste → request sent   median {statistics.median(times):.2f} s"
          f"  max {max(times):.2f} s over {len(times)} runs (target < 1 s)")


if __name__ == "__main__":
    main()
