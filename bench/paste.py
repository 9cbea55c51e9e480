"""A huge paste: from the last byte of a 1 MB bracketed paste to the request arriving.

Run: ``python bench/paste.py [--runs N] [--size BYTES]``. The installed ``zorac-repl``
runs on a pty against the dev server; the paste is written as a terminal writes it
(bracketed, in pieces as the pty accepts them), Enter follows, and the time from the last
byte written until the dev server has the whole message is printed, for three shapes:
64-character lines (a log), one line (minified JSON), and words on one line. Target:
under a second for each.
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


def _lines(size: int) -> bytes:
    line = b"line of a pasted log file with some words in it, numbered %07d\n"
    return b"".join(line % number for number in range(size // len(line % 0) + 1))[:size]


def _one_line(size: int) -> bytes:
    item = b'{"id":%07d,"name":"item","tags":["a","b"],"ok":true},'
    return (b"[" + b"".join(item % n for n in range(size // len(item % 0) + 1)))[:size]


def _words(size: int) -> bytes:
    words = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    return (words * (size // len(words) + 1))[:size]


SHAPES = {"64-char lines": _lines, "one line": _one_line, "words, one line": _words}


def run_once(server: DevServer, text: bytes) -> float:
    data_dir = tempfile.mkdtemp(prefix="zorac-paste-")
    environment = {
        **os.environ,
        "VLLM_BASE_URL": server.base_url,
        "ZORAC_DATA_DIR": data_dir,
        "ZORAC_CONFIG_DIR": data_dir,
        "MAX_INPUT_TOKENS": "9000000",
        "TERM": "xterm-256color",
    }
    zorac = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
    program = PtyProgram([zorac], environment, 40, 100)
    try:
        program.read_until(b"3-8B", timeout=30)  # the toolbar shows the model
        before = len(server.chat_requests())
        _paste(program, b"\x1b[200~" + text + b"\x1b[201~\r")
        started = time.perf_counter()
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
        for name, make in SHAPES.items():
            text = make(args.size)
            times = [run_once(server, text) for _ in range(args.runs)]
            print(
                f"{args.size / 1e6:.1f} MB paste, {name:16} last byte → request sent: median "
                f"{statistics.median(times):.2f} s, max {max(times):.2f} s over "
                f"{len(times)} runs (target < 1 s)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
