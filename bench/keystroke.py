"""Keystroke echo in a long conversation: from a key written to the pty to its echo.

Run: ``python bench/keystroke.py [--messages N] [--keys K] [--src DIR]``. The installed
``zorac-repl`` restores a saved session of N messages (2,000 by default) on a pty against
the dev server; then K keys are typed one at a time, each once the previous one has
echoed, and the time from writing a key to reading it back is printed (median and worst).
Every keystroke redraws the toolbar, which shows the conversation's token count. Target:
under 50 ms at any size. ``--src`` runs zorac_repl from another checkout's ``src``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from zorac_repl.devserver import DevServer

sys.path.insert(0, os.path.dirname(__file__))
from _pty import start_zorac


def _session(messages: int) -> dict[str, object]:
    turns = []
    for number in range(messages // 2):
        turns.append(
            {"role": "user", "content": f"Question {number}: how does paged attention work?"}
        )
        turns.append(
            {
                "role": "assistant",
                # About 1.5 kB, as a real answer: counting is what the toolbar repeats.
                "content": f"Answer {number}: "
                + "It keeps the KV cache in fixed-size blocks, like pages of virtual "
                "memory, so many sequences share one GPU without fragmentation. " * 12,
            }
        )
    return {"version": 1, "summary": None, "messages": turns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--keys", type=int, default=30)
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    args = parser.parse_args()
    server = DevServer(max_model_len=10_000_000).start()
    data_dir = tempfile.mkdtemp(prefix="zorac-keys-")
    (Path(data_dir) / "session.json").write_text(json.dumps(_session(args.messages)))
    program = start_zorac(server.base_url, data_dir, args.src, columns=120)
    try:
        program.read_until(b"3-8B", timeout=60)  # the toolbar shows the model
        time.sleep(1.0)  # the encoding loads in the background: measure after it has
        # The first redraw after it has loaded counts every message once; then keys.
        mark = len(program.output)
        program.send(b"@")
        first = time.perf_counter()
        first = program.read_until(b"@", after=mark, timeout=60) - first
        times = []
        for _ in range(args.keys):
            mark = len(program.output)
            program.send(b"@")
            started = time.perf_counter()
            times.append(program.read_until(b"@", after=mark, timeout=60) - started)
        print(
            f"{args.messages} messages: keystroke echo median "
            f"{statistics.median(times) * 1000:.0f} ms, "
            f"worst {max(times) * 1000:.0f} ms over {len(times)} keys (target < 50 ms); "
            f"first key {first * 1000:.0f} ms"
        )
    finally:
        program.close()
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
