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
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _pty import PtyProgram, start_zorac

from tests.raw_server import Script, models, raw_server, stream_of


def _chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def _held_open(first: bytes) -> Iterator[bytes]:
    yield first
    time.sleep(120)  # held open: only the client ends it
    yield b""


def _long_line(characters: int) -> Iterator[bytes]:
    batch = b"".join(_chunk("abc ") for _ in range(256))
    for _ in range(characters // 4 // 256):
        yield batch
    yield _chunk("", "stop") + b"data: [DONE]\n\n"


@contextlib.contextmanager
def _repl_against(script: Script, src: str | None) -> Iterator[PtyProgram]:
    """The REPL on a pty against a scripted server, once its toolbar is up."""
    data_dir = tempfile.mkdtemp(prefix="zorac-delta-")
    with raw_server(chat=script, models=models()) as server:
        program = start_zorac(server.base_url, data_dir, src, VLLM_MODEL="m")
        try:
            program.read_until(b"Ctrl+D", timeout=30)
            program.read_until(b"0 msgs", timeout=30)
            yield program
        finally:
            program.close()
            shutil.rmtree(data_dir, ignore_errors=True)


def _held_until_hung_up(first: bytes, gone: list[float]) -> Script:
    """A script: the delta, then the connection held until the client closes it."""

    def script(request: object, stream: socket.socket) -> None:
        stream.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            + first
        )
        stream.settimeout(120)
        with contextlib.suppress(OSError):
            while stream.recv(1):
                pass
        gone.append(time.perf_counter())

    return script


def _ctrl_c_during(delta_bytes: int, src: str | None, limit: float) -> str:
    gone: list[float] = []
    with _repl_against(_held_until_hung_up(_chunk("x" * delta_bytes), gone), src) as program:
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


def _seconds_to(script: Script, marker: bytes, src: str | None, limit: float) -> float | None:
    """From Enter to ``marker`` on screen; ``None`` past ``limit`` seconds."""
    with _repl_against(script, src) as program:
        mark = len(program.output)
        started = time.perf_counter()
        program.send(b"go\r")
        try:
            return program.read_until(marker, after=mark, timeout=limit) - started
        except TimeoutError:
            return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    parser.add_argument("--limit", type=float, default=120.0)
    args = parser.parse_args()
    print(f"Ctrl+C during a 3 MB delta: {_ctrl_c_during(3 << 20, args.src, args.limit)}")
    print(f"Ctrl+C during a 10 MB delta: {_ctrl_c_during(10 << 20, args.src, args.limit)}")
    too_big = stream_of(lambda: _held_open(_chunk("x" * (10 << 20))))
    took = _seconds_to(too_big, b"MAX_EVENT_BYTES", args.src, args.limit)
    print(
        "a 10 MB delta: "
        + (f"{took:.2f} s from Enter to the MAX_EVENT_BYTES line" if took else "no line in time")
    )
    line = stream_of(lambda: _long_line(1_000_000))
    took = _seconds_to(line, b"Stats:", args.src, args.limit)
    print(
        "a 1,000,000-character line: "
        + (f"{took:.1f} s from Enter to the Stats line" if took else "not done in time")
    )


if __name__ == "__main__":
    main()
