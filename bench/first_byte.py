"""One-shot's time to the first byte: spawning ``zorac-repl "q"`` to the answer's first byte.

Run: ``python bench/first_byte.py [--runs N] [--src DIR]``. Each figure is the median of
N fresh processes asking the dev server (TTFT 0, as fast as it can), so the figure is the
client's own start: imports, settings, the server check, the request. ``--src`` runs the
package from another checkout's ``src`` (an older build, for a before-and-after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from zorac_repl.devserver import DevServer, StreamOptions


def _first_byte(environ: dict[str, str]) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "zorac_repl", "Explain KV cache [[tokens=50]]"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environ,
    )
    assert process.stdout is not None
    process.stdout.read(1)
    elapsed = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--src", help="run zorac_repl from this directory instead")
    args = parser.parse_args()
    # As installed: bytecode compiled once (the first, unmeasured run writes it).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    server = DevServer(options=StreamOptions(rate=0.0, ttft=0.0)).start()
    try:
        with tempfile.TemporaryDirectory() as home:
            environ = {
                **os.environ,
                "VLLM_BASE_URL": server.base_url,
                "ZORAC_DATA_DIR": f"{home}/data",
                "ZORAC_CONFIG_DIR": f"{home}/config",
            }
            if args.src:
                environ["PYTHONPATH"] = args.src
            _first_byte(environ)  # warm the disk cache
            times = [_first_byte(environ) for _ in range(args.runs)]
    finally:
        server.stop()
    print(
        f"one-shot first byte: median {statistics.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
