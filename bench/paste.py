"""A huge paste: from its first byte to its placeholder on screen, and to the request.

Run: ``python bench/paste.py [--runs N] [--size BYTES] [--src DIR]``. The installed
``zorac-repl`` runs on a pty against the dev server; the paste is written as a terminal
writes it (bracketed, in pieces as the pty accepts them), and the time from its first
byte to its placeholder (``[pasted …]``) on screen is printed; then Enter is pressed, and
the time from the first byte until the dev server has the whole message. Four shapes:
64-character lines (a log), one line (minified JSON), words on one line, and one
unbroken run (base64-like, no spaces). Targets: 1 MB to the request under 1 s in every
shape; 8 MB (``--size 8000000``) to its placeholder under 2 s. ``--src`` runs zorac_repl
from another checkout's ``src``.
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
from _pty import PtyProgram, start_zorac


def _paste(program: PtyProgram, data: bytes) -> None:
    """Write ``data`` while draining the program's output, as a terminal does."""
    master = program._master  # the benchmark's own pty
    view = memoryview(data)
    while view:
        readable, writable, _ = select.select([master], [master], [], 5.0)
        if readable:
            program.take(os.read(master, 1 << 20))
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


def _run(size: int) -> bytes:
    letters = b"QWxhZGRpbjpvcGVuIHNlc2FtZQ"
    return (letters * (size // len(letters) + 1))[:size]


SHAPES = {
    "64-char lines": _lines,
    "one line": _one_line,
    "words, one line": _words,
    "no spaces": _run,
}


def run_once(server: DevServer, text: bytes, src: str | None) -> tuple[float, float]:
    data_dir = tempfile.mkdtemp(prefix="zorac-paste-")
    program = start_zorac(server.base_url, data_dir, src)
    try:
        program.read_until(b"3-8B", timeout=30)  # the toolbar shows the model
        before = len(server.chat_requests())
        mark = len(program.output)
        started = time.perf_counter()
        _paste(program, b"\x1b[200~" + text + b"\x1b[201~")
        shown = program.read_until(b"[pasted ", after=mark, timeout=600) - started
        program.send(b"\r")
        deadline = time.perf_counter() + 600
        while len(server.chat_requests()) == before and time.perf_counter() < deadline:
            with contextlib.suppress(TimeoutError):  # keep reading what it draws
                program.read_until(b"\x00never", timeout=0.01)
        arrived = time.perf_counter()
        content = server.chat_requests()[-1].messages[-1]["content"]
        assert content == text.decode(), "the paste did not arrive intact"
        return shown, arrived - started
    finally:
        program.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    args = parser.parse_args()
    server = DevServer(max_model_len=10_000_000).start()
    try:
        for name, make in SHAPES.items():
            text = make(args.size)
            runs = [run_once(server, text, args.src) for _ in range(args.runs)]
            shown = [run[0] for run in runs]
            sent = [run[1] for run in runs]
            print(
                f"{args.size / 1e6:.1f} MB paste, {name:16} first byte → placeholder: median "
                f"{statistics.median(shown):.2f} s; → request: median "
                f"{statistics.median(sent):.2f} s, max {max(sent):.2f} s ({len(runs)} runs)"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
