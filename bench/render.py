"""Rendering figures: zorac-repl against a naive ``Live(Markdown(full_text))`` client, and
against its own renderer shown through ``rich.live.Live`` (``--live``).

Run: ``python bench/render.py``. Both clients run on a pseudo-terminal (100 x 40) against
the dev server (which runs in this process, so its CPU is not counted), rendering the
dev server's Markdown answers. zorac-repl runs in one-shot mode with its output on the
terminal, which uses the same renderer as the REPL. Figures:

- CPU per token: user + system CPU of the whole client process, start-up included,
  divided by the answer's tokens.
- settle: from the server writing ``[DONE]`` to the ``Stats:`` line on screen.
- sustained rate: tokens per second from the first byte on screen to the ``Stats:`` line,
  with the server sending as fast as it can.
- bytes: everything written to the terminal for the answer, against rendering the
  finished answer once at the same width.
- idle latency: from the server writing a token to it appearing on the terminal, with
  tokens 250 ms apart.
- first word: from the server writing the answer's first word to that word on the
  terminal, with the answer streaming at 1000 tokens/s (median of several answers).
- thinking (``--thinking``): 8k tokens of a reasoning model's thinking, then 8k of
  answer, at 1000 tokens/s, folded and shown, from a reasoning field and as tags: the
  thinking's CPU per token, against the answer's, and the settle time.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import select
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass

from rich.console import Console

from zorac_repl.devserver import DevServer
from zorac_repl.devserver.word_pieces import split_tokens
from zorac_repl.render.markdown import render_lines

sys.path.insert(0, os.path.dirname(__file__))
from _pty import PtyProgram

ROWS, COLUMNS = 40, 100


@dataclass
class Run:
    tokens: int
    cpu: float
    wall: float
    settle: float | None
    rate: float
    bytes_written: int
    reference_bytes: int
    finished: bool


def _environment(data: str, server: DevServer) -> dict[str, str]:
    return {
        **os.environ,
        "ZORAC_DATA_DIR": data,
        "ZORAC_CONFIG_DIR": data,
        "VLLM_BASE_URL": server.base_url,
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "MAX_OUTPUT_TOKENS": "40000",
        "COLUMNS": str(COLUMNS),
        "LINES": str(ROWS),
    }


def _reference_bytes(text: str) -> int:
    console = Console(
        file=io.StringIO(), width=COLUMNS, force_terminal=True, color_system="truecolor"
    )
    return len("\r\n".join(render_lines(console, text)).encode()) + 2


def run_client(command: list[str], server: DevServer, timeout: float, **env: str) -> Run:
    with tempfile.TemporaryDirectory() as data:
        program = PtyProgram(command, {**_environment(data, server), **env}, ROWS, COLUMNS)
        finished = True
        try:
            first_output = program.read_until(b"\x1b", timeout=30)
            mark = len(program.output)
            try:
                shown = program.read_until(b"Stats:", timeout=timeout)
            except TimeoutError:
                finished, shown = False, time.perf_counter()
                program.process.kill()
            # wait4 reaps the child and reports the CPU it used, start-up included.
            _, _, usage = os.wait4(program.process.pid, 0)
            program.process.returncode = 0
        finally:
            program.close()
    record = server.chat_requests()[-1]
    tokens = len(split_tokens(record.served_reasoning + record.served_text))
    settle = shown - record.done_at if finished and record.done_at else None
    answer_bytes = len(program.output) - mark
    return Run(
        tokens,
        usage.ru_utime + usage.ru_stime,
        shown - program.started,
        settle,
        tokens / max(1e-9, shown - first_output),
        answer_bytes,
        _reference_bytes(record.served_text),
        finished,
    )


def idle_latency(server: DevServer, command: str) -> list[float]:
    """Seconds from the server writing each word to the word appearing on the terminal."""
    # Each word is one token of the dev server's tokenizer, so one write shows one word.
    words = "alpha bravo charlie delta foxtrot golf hotel india juliet kilo lima mike"
    with tempfile.TemporaryDirectory() as data:
        program = PtyProgram(
            [command, f"{words} [[echo rate=4]]"], _environment(data, server), ROWS, COLUMNS
        )
        reads: list[tuple[float, bytes]] = []
        try:
            deadline = time.perf_counter() + 30
            while b"Stats:" not in program.output and time.perf_counter() < deadline:
                ready, _, _ = select.select([program._master], [], [], 1)
                if ready:
                    chunk = os.read(program._master, 1 << 20)
                    program.output += chunk
                    reads.append((time.perf_counter(), chunk))
        finally:
            program.close()
    latencies = []
    for sent_at, text in server.chat_requests()[-1].writes[1:]:
        word = re.search(r"[a-z]{4,}", text)
        if word is None:
            continue
        seen = next((at for at, chunk in reads if word.group().encode() in chunk), None)
        if seen is not None:
            latencies.append(seen - sent_at)
    return latencies


def first_word_latency(server: DevServer, command: str, answers: int = 9) -> list[float]:
    """Seconds from the server writing the token that completes the answer's first word
    ("KV", the second token of "# KV cache") to that word on the terminal."""
    latencies = []
    for _ in range(answers):
        with tempfile.TemporaryDirectory() as data:
            program = PtyProgram(
                [command, "Explain it all [[tokens=400 rate=1000]]"],
                _environment(data, server),
                ROWS,
                COLUMNS,
            )
            try:
                seen = program.read_until(b"KV", timeout=30)
                program.read_until(b"Stats:", timeout=30)
            finally:
                program.close()
        sent = ""
        for sent_at, text in server.chat_requests()[-1].writes:
            sent += text
            if "KV" in sent:
                latencies.append(seen - sent_at)
                break
    return latencies


def _print_first_word(latencies: list[float]) -> None:
    print(
        f"zorac first word on screen at 1000 tok/s: median "
        f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
        f"over {len(latencies)} answers (target ≤ 10 ms)"
    )


def _print_latency(latencies: list[float]) -> None:
    if not latencies:
        print("zorac idle token-to-screen latency: no token was matched on screen")
        return
    print(
        f"zorac idle token-to-screen latency: median "
        f"{statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms "
        f"over {len(latencies)} tokens (target ≤ 20 ms)"
    )


def _compare_with_rich_live(server: DevServer, zorac: str) -> None:
    """The same stream and renderer, drawn by LiveRegion and by rich.live.Live."""
    live = [sys.executable, os.path.join(os.path.dirname(__file__), "_live_client.py")]
    print(
        f"{'display':10} {'answer':>16} {'tokens':>7} {'CPU ms/token':>13} {'settle ms':>10} "
        f"{'tok/s':>8} {'bytes/one-shot':>15}"
    )
    for label, tokens, rate in (
        ("4k @1000/s", 4000, 1000),
        ("16k @1000/s", 16000, 1000),
        ("16k max speed", 16000, 0),
    ):
        prompt = f"Explain it all [[tokens={tokens} rate={rate}]]"
        for name, command in (
            ("LiveRegion", [zorac, prompt]),
            ("rich Live", [*live, server.base_url, prompt]),
        ):
            run = run_client(command, server, 180)
            settle = f"{run.settle * 1000:10.0f}" if run.settle is not None else " " * 10
            print(
                f"{name:10} {label:>16} {run.tokens:7} {run.cpu / run.tokens * 1000:13.3f} "
                f"{settle} {run.rate:8.0f} {run.bytes_written / run.reference_bytes:15.2f}"
            )


def _thinking_figures(server: DevServer, zorac: str, startup: float) -> None:
    """8k tokens of thinking then 8k of answer at 1000 tokens/s, against the answer alone.

    The thinking's CPU per token is the difference between the two runs over its 8k
    tokens; the answer's is the answer-only run less start-up. Medians of three.
    """
    print(
        f"\n{'thinking':10} {'shape':>10} {'CPU ms/token':>13} {'answer alone':>13} "
        f"{'settle ms':>10}"
    )
    answer_only = statistics.median(
        run_client([zorac, "Explain it all [[tokens=8000 rate=1000]]"], server, 120).cpu
        for _ in range(3)
    )
    for mode in ("fold", "show"):
        for shape in ("reasoning", "tags"):
            prompt = f"Explain it all [[think=8000 via={shape} tokens=8000 rate=1000]]"
            runs = sorted(
                (run_client([zorac, prompt], server, 120, REASONING=mode) for _ in range(3)),
                key=lambda r: r.cpu,
            )
            run = runs[1]
            thinking = (run.cpu - answer_only) / 8000 * 1000
            answer = (answer_only - startup) / 8000 * 1000
            settle = f"{run.settle * 1000:10.0f}" if run.settle is not None else " " * 10
            print(f"{mode:10} {shape:>10} {thinking:13.3f} {answer:13.3f} {settle}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline-timeout", type=float, default=45.0)
    parser.add_argument(
        "--live",
        action="store_true",
        help="compare zorac-repl's LiveRegion with the same MarkdownStream "
        "shown through rich.live.Live",
    )
    parser.add_argument(
        "--only-latency",
        action="store_true",
        help="measure only the idle token-to-screen and first-word latencies",
    )
    parser.add_argument(
        "--thinking",
        action="store_true",
        help="measure only a reasoning model's answer: 8k thinking + 8k answer",
    )
    parser.add_argument(
        "--src", help="run zorac-repl from this checkout's src (an older build, to compare)"
    )
    args = parser.parse_args()
    zorac = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
    if args.src:
        os.environ["PYTHONPATH"] = args.src  # the clients inherit it
    naive = [sys.executable, os.path.join(os.path.dirname(__file__), "_naive_client.py")]
    server = DevServer(max_model_len=65536).start()
    try:
        if args.live:
            _compare_with_rich_live(server, zorac)
            return
        if args.only_latency:
            _print_latency(idle_latency(server, zorac))
            _print_first_word(first_word_latency(server, zorac))
            return
        # Start-up CPU varies by a few hundred ms between runs: take medians of three.
        startup = statistics.median(
            run_client([zorac, "hi [[echo]]"], server, 60).cpu for _ in range(3)
        )
        if args.thinking:
            _thinking_figures(server, zorac, startup)
            return
        naive_startup = statistics.median(
            run_client([*naive, server.base_url, "hi [[echo]]"], server, 60).cpu for _ in range(3)
        )
        print(
            f"start-up CPU (a one-token answer): zorac {startup * 1000:.0f} ms, "
            f"naive {naive_startup * 1000:.0f} ms\n"
        )
        print(
            f"{'client':8} {'answer':>16} {'tokens':>7} {'CPU ms/token':>13} "
            f"{'less start-up':>14} {'settle ms':>10} {'tok/s':>8} {'bytes/one-shot':>15}"
        )
        results: dict[tuple[str, str], Run] = {}
        cases = [
            ("1k @1000/s", 1000, 1000),
            ("4k @1000/s", 4000, 1000),
            ("16k @1000/s", 16000, 1000),
            ("32k @1000/s", 32000, 1000),
            ("4k max speed", 4000, 0),
            ("16k max speed", 16000, 0),
        ]
        for label, tokens, rate in cases:
            for name in ("zorac", "naive"):
                if name == "naive" and (tokens > 4000 or rate == 0):
                    continue
                prompt = f"Explain it all [[tokens={tokens} rate={rate}]]"
                command = [zorac, prompt] if name == "zorac" else [*naive, server.base_url, prompt]
                timeout = 120.0 if name == "zorac" else args.baseline_timeout
                run = run_client(command, server, timeout)
                if name == "zorac" and tokens <= 1000:
                    # Start-up dominates a short answer: the median of three runs.
                    runs = [
                        run,
                        run_client(command, server, timeout),
                        run_client(command, server, timeout),
                    ]
                    run = sorted(runs, key=lambda r: r.cpu)[1]
                results[(name, label)] = run
                settle = f"{run.settle * 1000:10.0f}" if run.settle is not None else " " * 10
                note = "" if run.finished else f"  (unfinished after {timeout:.0f}s)"
                base = startup if name == "zorac" else naive_startup
                print(
                    f"{name:8} {label:>16} {run.tokens:7} "
                    f"{run.cpu / run.tokens * 1000:13.3f} "
                    f"{(run.cpu - base) / run.tokens * 1000:14.3f} {settle} {run.rate:8.0f} "
                    f"{run.bytes_written / run.reference_bytes:15.2f}{note}"
                )
        small, large = results[("zorac", "1k @1000/s")], results[("zorac", "32k @1000/s")]
        ratio = ((large.cpu - startup) / large.tokens) / ((small.cpu - startup) / small.tokens)
        print(
            f"\nzorac CPU per token less start-up, 32k against 1k: ratio {ratio:.2f} (target ≤ 1.3)"
        )
        _print_latency(idle_latency(server, zorac))
        _print_first_word(first_word_latency(server, zorac))
        _thinking_figures(server, zorac, startup)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
