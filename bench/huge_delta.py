"""Huge deltas and long lines in the REPL: Ctrl+C during them, and the time to render one.

Run: ``python bench/huge_delta.py [--src DIR]``. The installed ``zorac-repl`` runs on a
100 x 40 pty against a scripted server on 127.0.0.1. Figures:

- Ctrl+C during a huge delta: the server sends one 3 MB delta (under MAX_EVENT_BYTES)
  on one line, then keeps the stream open; Ctrl+C is pressed as soon as the delta is sent
  and the times to the server seeing the client hang up and to ``Response interrupted.``
  are printed. Target: about a frame to the server. The same with a 10 MB delta, which
  MAX_EVENT_BYTES stops by itself.
- a 10 MB delta: over MAX_EVENT_BYTES, so the answer stops; the time to that line.
- a 1,000,000-character line in 4-character tokens: from the first token to the
  ``Stats:`` line (it was quadratic: 180 s).

``--src`` runs zorac_repl from another checkout's ``src``; a run that takes longer than
its limit is reported as such.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _pty import PtyProgram

from tests.raw_server import models, raw_server, stream_of


def _chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def _then_hold(first: bytes, sent: threading.Event) -> Iterator[bytes]:
    yield first
    sent.set()
    time.sleep(120)  # held open: only Ctrl+C ends it
    yield b""


def _long_line(characters: int) -> Iterator[bytes]:
    batch = b"".join(_chunk("abc ") for _ in range(256))
    for _ in range(characters // 4 // 256):
        yield batch
    yield _chunk("", "stop") + b"data: [DONE]\n\n"


def _start(base_url: str, src: str | None) -> tuple[PtyProgram, str]:
    data_dir = tempfile.mkdtemp(prefix="zorac-delta-")
    environment = {
        **os.environ,
        "VLLM_BASE_URL": base_url,
        "VLLM_MODEL": "m",
        "ZORAC_DATA_DIR": data_dir,
        "ZORAC_CONFIG_DIR": data_dir,
        "MAX_INPUT_TOKENS": "9000000",
        "TERM": "xterm-256color",
    }
    if src:
        environment["PYTHONPATH"] = src
    if os.environ.get("SAMPLE_OUT"):
        environment["PYTHONPATH"] = "/tmp/prof:" + environment.get("PYTHONPATH", "")
    zorac = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
    program = PtyProgram([zorac], environment, 40, 100)
    program.read_until(b"Ctrl+D", timeout=30)
    program.read_until(b"0 msgs", timeout=30)
    return program, data_dir


def _held_until_hung_up(first: bytes, sent: threading.Event, gone: list[float]):
    """A script: the delta, then the connection held until the client closes it."""

    def script(request: object, stream: socket.socket) -> None:
        stream.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            + first
        )
        sent.set()
        stream.settimeout(120)
        with contextlib.suppress(OSError):
            while stream.recv(1):
                pass
        gone.append(time.perf_counter())

    return script


def _ctrl_c_during(delta_bytes: int, src: str | None, limit: float) -> str:
    sent = threading.Event()
    gone: list[float] = []
    first = _chunk("x" * delta_bytes)
    script = _held_until_hung_up(first, sent, gone)
    with raw_server(chat=script, models=models()) as server:
        program, data_dir = _start(server.base_url, src)
        try:
            mark = len(program.output)
            program.send(b"go\r")
            # Pressed once the client is drawing the delta (or has refused it).
            deadline = time.perf_counter() + limit
            while True:
                seen = bytes(program.output[mark:])
                if b"MAX_EVENT_BYTES" in seen:
                    return "stopped by MAX_EVENT_BYTES, before any Ctrl+C"
                if b"xxxxxxxxxx" in seen:
                    break
                if time.perf_counter() > deadline:
                    return f"the delta was not drawn within {limit:.0f} s"
                with contextlib.suppress(TimeoutError):
                    program.read_until(b"\x00never", after=len(program.output), timeout=0.05)
            pressed = time.perf_counter()
            program.send(b"\x03")
            try:
                done = program.read_until(b"interrupted", after=mark, timeout=limit)
            except TimeoutError:
                return f"no answer to Ctrl+C within {limit:.0f} s"
            hung_up = f"{(gone[0] - pressed) * 1000:.0f} ms" if gone else "never"
            return (
                f"{hung_up} from Ctrl+C to the server seeing the client hang up, "
                f"{(done - pressed) * 1000:.0f} ms to 'Response interrupted.' (after the "
                "partial answer's rows are drawn)"
            )
        finally:
            program.close()
            shutil.rmtree(data_dir, ignore_errors=True)


def _too_big(src: str | None, limit: float) -> str:
    first = _chunk("x" * (10 << 20))
    sent = threading.Event()
    with raw_server(chat=stream_of(lambda: _then_hold(first, sent)), models=models()) as server:
        program, data_dir = _start(server.base_url, src)
        try:
            mark = len(program.output)
            started = time.perf_counter()
            program.send(b"go\r")
            try:
                done = program.read_until(b"MAX_EVENT_BYTES", after=mark, timeout=limit)
            except TimeoutError:
                return f"no line within {limit:.0f} s"
            return f"{done - started:.2f} s from Enter to the MAX_EVENT_BYTES line"
        finally:
            program.close()
            shutil.rmtree(data_dir, ignore_errors=True)


def _line_render(characters: int, src: str | None, limit: float) -> str:
    with raw_server(chat=stream_of(lambda: _long_line(characters)), models=models()) as server:
        program, data_dir = _start(server.base_url, src)
        try:
            mark = len(program.output)
            started = time.perf_counter()
            program.send(b"go\r")
            try:
                done = program.read_until(b"Stats:", after=mark, timeout=limit)
            except TimeoutError:
                return f"not done within {limit:.0f} s"
            return f"{done - started:.1f} s from Enter to the Stats line"
        finally:
            program.close()
            shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args()
    print(f"Ctrl+C during a 3 MB delta: {_ctrl_c_during(3 << 20, args.src, args.limit)}")
    print(f"Ctrl+C during a 10 MB delta: {_ctrl_c_during(10 << 20, args.src, args.limit)}")
    print(f"a 10 MB delta: {_too_big(args.src, args.limit)}")
    print(f"a 1,000,000-character line: {_line_render(1_000_000, args.src, args.limit)}")


if __name__ == "__main__":
    main()
