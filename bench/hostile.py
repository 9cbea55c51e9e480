"""What a hostile server can take from the client: peak memory and time, per attack.

Run: ``python bench/hostile.py [--src DIR] [--cap-gb N]``. Each attack is served by a
scripted raw HTTP server on 127.0.0.1 and read by a fresh client process (the real
``ChatClient``, real openai and httpx); the figures are that process's peak RSS and its
time until it gave up or finished. ``--src`` runs zorac_repl from another checkout's
``src`` (an older build, for a before-and-after); such a build may be stopped by the
address-space cap (``--cap-gb``, default 4) or the 120 s limit, which is then reported.

Attacks:
- ``gzip bomb``: a 4 GB ``data:`` line of zeros, gzip-compressed (about 4 MB on the wire);
- ``200 MB line``: one line with no newline, 200 MB;
- ``300 MB error``: HTTP 500 whose JSON error message is 300 MB;
- ``endless answer``: normal token chunks without end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.raw_server import forever, raw_server, reply, stream_of

_CLIENT = """
import asyncio, sys, time
from zorac_repl.server.client import ChatClient, ChatRequest
from zorac_repl.errors import ZoracError

async def main():
    client = ChatClient(sys.argv[1])
    started = time.perf_counter()
    outcome = "finished"
    try:
        async for _ in client.stream([{"role": "user", "content": "hi"}],
                                     ChatRequest("m", 0.1, 100)):
            pass
    except ZoracError as exc:
        outcome = str(exc)[:90]
    finally:
        await client.aclose()
    # VmHWM, not ru_maxrss: that one keeps the parent's peak across exec.
    status = open("/proc/self/status").read()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    print(f"{peak:.0f}\\t{time.perf_counter() - started:.1f}\\t{outcome}")

asyncio.run(main())
"""


def _gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (1 << 24)
    parts = [packer.compress(b"data: ")]
    for _ in range(size // len(zeros)):
        parts.append(packer.compress(zeros))
    parts.append(packer.flush())
    return b"".join(parts)


def _line(size: int) -> Iterator[bytes]:
    yield b"data: "
    piece = b"x" * (1 << 20)
    for _ in range(size // len(piece)):
        yield piece


def _chunk() -> bytes:
    choice = {"index": 0, "delta": {"content": "word "}, "finish_reason": None}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    parser.add_argument("--cap-gb", type=float, default=4.0)
    args = parser.parse_args()
    error = json.dumps({"error": {"message": "x" * (300 * 1024 * 1024)}}).encode()
    attacks = {
        "gzip bomb (4 GB inflated)": reply(
            200, _gzip_bomb(4 << 30), "text/event-stream", content_encoding="gzip"
        ),
        "200 MB line": stream_of(lambda: _line(200 << 20)),
        "300 MB error body": reply(500, error),
        "endless answer": stream_of(forever(_chunk())),
    }
    environ = {**os.environ}
    if args.src:
        environ["PYTHONPATH"] = args.src
    cap = int(args.cap_gb * (1 << 30))
    print(f"{'attack':28} {'peak MB':>8} {'seconds':>8}  outcome")
    for name, script in attacks.items():
        with raw_server(chat=script) as server:
            started = time.perf_counter()
            try:
                done = subprocess.run(
                    [sys.executable, "-c", _CLIENT, server.base_url],
                    capture_output=True,
                    text=True,
                    env=environ,
                    timeout=120,
                    preexec_fn=lambda: __import__("resource").setrlimit(
                        __import__("resource").RLIMIT_AS, (cap, cap)
                    ),
                )
            except subprocess.TimeoutExpired:
                print(f"{name:28} {'?':>8} {'>120':>8}  still running at the time limit")
                continue
            fields = done.stdout.strip().split("\t")
            if done.returncode != 0 or len(fields) != 3:
                last = (done.stderr.strip().splitlines() or ["?"])[-1][:70]
                took = time.perf_counter() - started
                print(f"{name:28} {'>cap':>8} {took:8.1f}  died: {last}")
                continue
            print(f"{name:28} {fields[0]:>8} {fields[1]:>8}  {fields[2]}")


if __name__ == "__main__":
    main()
