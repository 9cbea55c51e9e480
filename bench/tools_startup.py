"""Start-up with MCP servers configured and with none, beside a checkout from before tools.

Run: ``python bench/tools_startup.py [--runs N] [--before DIR]``. Time to the first
prompt, in a pseudo-terminal against the dev server, median of N, the cases measured in
turn: this checkout with no ``mcpServers``; this checkout with two configured (the test
server, twice: they start only with the first message that offers tools, so the prompt
must not wait for them); and, with ``--before``, the ``src`` of another checkout (for
instance ``git worktree add /tmp/before <commit>``) with none. Target: the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from zorac_repl.devserver import DevServer

sys.path.insert(0, os.path.dirname(__file__))
from startup import _command, _spawn_until_prompt

TEST_SERVER = str(Path(__file__).resolve().parent.parent / "tests" / "mcp_server.py")


def _time(base_url: str, tools: bool, src: str | None) -> float:
    with tempfile.TemporaryDirectory() as data:
        if tools:
            entry = {"command": sys.executable, "args": [TEST_SERVER]}
            servers = {"one": entry, "two": entry}
            (Path(data) / "config.json").write_text(json.dumps({"mcpServers": servers}))
        env = {
            **os.environ,
            "ZORAC_DATA_DIR": data,
            "ZORAC_CONFIG_DIR": data,
            "VLLM_BASE_URL": base_url,
            "TERM": "xterm-256color",
        }
        if src:
            env["PYTHONPATH"] = src
        return _spawn_until_prompt([_command()], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--before", help="another checkout's directory (its src is used)")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    cases = {"now, no mcpServers": (False, None), "now, 2 mcpServers": (True, None)}
    if args.before:
        cases["before tools, none"] = (False, str(Path(args.before) / "src"))
    server = DevServer().start()
    try:
        for tools, src in cases.values():
            _time(server.base_url, tools, src)  # unmeasured: writes the bytecode
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.runs):
            for name, (tools, src) in cases.items():
                times[name].append(_time(server.base_url, tools, src))
    finally:
        server.stop()
    print(f"time to the first prompt, median of {args.runs}:")
    for name, values in times.items():
        print(f"  {name:22} {statistics.median(values) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
