"""The log at size: 10,000 conversations and 1,000,000 messages.

Run: ``python bench/log.py [--conversations N] [--exchanges-per N]``. Builds the log in
a temporary directory through the store's own schema (bulk inserts, the FTS triggers
firing as in use), then prints, each the median of several runs:

- a full-text search over every message (target under 100 ms);
- ``zorac-repl log``, the whole command in a fresh process (target under 300 ms);
- taking up a long conversation (``/resume``: this one saved, that one locked and read);
- the cost of logging one exchange with the state of a long conversation, in one
  transaction (what an answer's end waits for);
- the database's size.

And the kill loop: a writer process logging exchanges is killed with SIGKILL at random
moments, again and again; afterwards ``PRAGMA integrity_check`` must say ok and every
exchange the writer saw committed must be there.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import Exchange, LogStore

_WORDS = [
    "attention",
    "batching",
    "cache",
    "decode",
    "kernel",
    "latency",
    "memory",
    "model",
    "prefill",
    "quantized",
    "scheduler",
    "speculative",
    "tensor",
    "throughput",
    "token",
    "vllm",
    "window",
    "gpu",
    "stream",
    "answer",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def build(path: Path, conversations: int, per: int) -> None:
    store = LogStore(path)
    store.new_conversation()  # creates the schema
    store.close()
    rng = random.Random(3)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for number in range(2, conversations + 1):
        db.execute(
            "INSERT INTO conversations(id, started) VALUES (?, ?)", (number, "2026-01-01T00:00:00")
        )
    rows = []
    for conversation in range(1, conversations + 1):
        for _ in range(per):
            question, answer = _sentence(rng, 12), _sentence(rng, 60)
            messages = json.dumps(
                [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
            )
            rows.append(
                (
                    conversation,
                    "2026-01-01T00:00:00",
                    "complete",
                    "Qwen/Qwen3-8B",
                    "vLLM",
                    "",
                    question,
                    answer,
                    "",
                    "",
                    messages,
                    "{}",
                )
            )
        if len(rows) >= 20000:
            _insert(db, rows)
            rows = []
    _insert(db, rows)
    # A rare word, once near the start: the search cannot stop early.
    db.execute("UPDATE exchanges SET answer = answer || ' zebrafish' WHERE id = 7")
    db.execute("COMMIT")
    db.execute("INSERT INTO exchanges_text(exchanges_text) VALUES ('rebuild')")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _insert(db: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    db.executemany(
        "INSERT INTO exchanges(conversation_id, time, status, model, server, profile, question, "
        "answer, thinking, attachments, messages, figures) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def _median(runs: int, work: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


_WRITER = """
import sys
from zorac_repl.log.store import Exchange, LogStore
store = LogStore(__import__("pathlib").Path(sys.argv[1]))
conversation = store.new_conversation()
number = 0
while True:
    number += 1
    question = f"kill loop {number}"
    said = [{"role": "user", "content": question}]
    store.log(conversation, Exchange("complete", question, "answer " * 50, said))
    print(number, flush=True)
"""


def kill_loop(path: Path, rounds: int) -> tuple[int, int, str]:
    rng = random.Random(5)
    seen = 0
    for _ in range(rounds):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        time.sleep(rng.uniform(0.3, 0.8))
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate()
        lines = out.split()
        seen += len(lines)
    db = sqlite3.connect(path)
    check = db.execute("PRAGMA integrity_check").fetchone()[0]
    kept = db.execute(
        "SELECT count(*) FROM exchanges WHERE question LIKE 'kill loop %'"
    ).fetchone()[0]
    db.close()
    return seen, kept, check


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--exchanges-per", type=int, default=50)  # 2 messages each
    parser.add_argument("--kill-rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "log.db"
        started = time.perf_counter()
        build(path, args.conversations, args.exchanges_per)
        messages = 2 * args.conversations * args.exchanges_per
        print(
            f"built {args.conversations:,} conversations, {messages:,} messages in "
            f"{time.perf_counter() - started:.0f} s; database {path.stat().st_size / 1e6:.0f} MB"
        )
        store = LogStore(path)
        store.search("zebrafish")  # opens it
        rare = _median(5, lambda: store.search("zebrafish"))
        common = _median(5, lambda: store.search("kernel latency"))
        listed = _median(5, lambda: store.conversations(20))
        print(f"  search, a rare word:        {rare * 1000:7.1f} ms")
        print(f"  search, two common words:   {common * 1000:7.1f} ms (the 20 newest hits)")
        print(f"  list the last 20:           {listed * 1000:7.1f} ms")

        size = 2 * args.exchanges_per
        # A long conversation in use: its state written once, as the REPL keeps it.
        long = SavedConversation(Conversation(), store, "long")
        long.restore()
        for number in range(args.exchanges_per):
            long.conversation.add_user(_sentence(random.Random(number), 20))
            long.conversation.add_assistant(_sentence(random.Random(-number), 200), AnswerMeta())
        long.save()
        long.release()
        taker = SavedConversation(Conversation(), store, "other")
        taker.restore()

        def resume() -> None:
            assert long.id is not None
            taker.resume(long.id)  # this one saved, that one locked and loaded
            taker.resume(other)  # and back, so the next run resumes again

        other = taker.id or 0
        print(f"  /resume {size} messages:      {_median(5, resume) / 2 * 1000:7.1f} ms")
        said = [{"role": "user", "content": "q"}]
        exchange = Exchange("complete", "q " * 20, "a " * 400, said)
        taker.resume(long.id or 0)  # the end of an answer in a conversation of that size

        def answered() -> None:
            taker.save(exchange)

        logged = _median(20, answered)
        print(f"  log one exchange + state:   {logged * 1000:7.1f} ms ({size} messages)")
        taker.release()
        store.close()
        command = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
        env = {**os.environ, "ZORAC_DATA_DIR": scratch}

        def listing() -> None:
            subprocess.run([command, "log"], env=env, capture_output=True, check=True)

        print(f"  zorac-repl log (a process): {_median(5, listing) * 1000:7.1f} ms")
        loop_path = Path(scratch) / "kill.db"
        seen, kept, check = kill_loop(loop_path, args.kill_rounds)
        print(
            f"kill -9 loop, {args.kill_rounds} kills: {seen} exchanges seen committed, "
            f"{kept} kept; integrity_check: {check}"
        )


if __name__ == "__main__":
    main()
