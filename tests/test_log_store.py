"""The log's database: schema, search, deletion for real, a damaged file, two writers."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

from tests.saved_state import BEFORE_THE_LOG
from zorac_repl.log.sessions import SessionRows
from zorac_repl.log.store import SCHEMA_VERSION, Exchange, LogStore


def _exchange(question: str, answer: str = "an answer", status: str = "complete") -> Exchange:
    messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return Exchange(status, question, answer, messages if status == "complete" else messages[:1])


def test_a_new_log_is_0600_in_wal_mode_at_the_current_schema(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "log.db")
    store.log(store.new_conversation(), _exchange("hello"))
    store.close()
    assert stat.S_IMODE((tmp_path / "log.db").stat().st_mode) == 0o600
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_empty_database_of_version_0_is_migrated_once(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "log.db").close()  # version 0: nothing in it
    for _ in range(2):  # the second open finds it migrated already
        store = LogStore(tmp_path / "log.db")
        store.log(store.new_conversation(), _exchange("again"))
        store.close()
    assert len(LogStore(tmp_path / "log.db").conversations()) == 2


def test_search_finds_question_and_answer_newest_first_with_snippets(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "log.db")
    first = store.new_conversation()
    store.log(first, _exchange("how does paged attention work?"))
    second = store.new_conversation()
    store.log(second, _exchange("unrelated", "paged attention keeps the KV cache in blocks"))
    hits = store.search("paged attention")
    assert [hit.conversation_id for hit in hits] == [second, first]
    assert "\x02paged\x03 \x02attention\x03" in hits[0].snippet
    assert store.search('"quotes" and (parens)') == []  # never a syntax error


def test_failed_exchanges_are_kept_but_never_read_back_as_history(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "log.db")
    conversation = store.new_conversation()
    store.log(conversation, _exchange("first"))
    store.log(conversation, _exchange("cut short", "half an ans", status="interrupted"))
    assert [m["content"] for m in store.messages(conversation) or []] == ["first", "an answer"]
    assert store.search("cut short")[0].conversation_id == conversation


def test_forgetting_deletes_the_rows_and_their_search_entries(tmp_path: Path) -> None:
    store = LogStore(tmp_path / "log.db")
    conversation = store.new_conversation()
    store.log(conversation, _exchange("secret plans for tuesday"))
    assert store.forget(conversation)
    assert store.search("tuesday") == []
    assert store.messages(conversation) is None
    assert not store.forget(conversation)
    store.close()
    with sqlite3.connect(tmp_path / "log.db") as db:
        db.execute("INSERT INTO exchanges_text(exchanges_text) VALUES ('integrity-check')")
    assert b"tuesday" not in (tmp_path / "log.db").read_bytes()


def test_a_damaged_database_is_moved_aside_and_a_new_one_starts(tmp_path: Path) -> None:
    (tmp_path / "log.db").write_bytes(b"this is not sqlite at all" * 100)
    store = LogStore(tmp_path / "log.db")
    store.log(store.new_conversation(), _exchange("fresh"))
    assert "moved to" in store.notice
    aside = list(tmp_path.glob("log.corrupt-*.db"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not sqlite")
    assert [c.first_line for c in store.conversations()] == ["fresh"]


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    def write(tag: str) -> None:
        store = LogStore(tmp_path / "log.db")
        conversation = store.new_conversation()
        for number in range(40):
            store.log(conversation, _exchange(f"{tag} {number}"))
        store.close()

    threads = [threading.Thread(target=write, args=(tag,)) for tag in ("alpha", "beta")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store = LogStore(tmp_path / "log.db")
    assert sorted(c.exchanges for c in store.conversations()) == [40, 40]
    assert len(store.search("alpha", limit=100)) == 40


def test_a_writer_killed_at_any_moment_leaves_a_whole_log(tmp_path: Path) -> None:
    import random
    import signal
    import subprocess
    import sys
    import time

    writer = (
        "import sys, pathlib\n"
        "from zorac_repl.log.store import Exchange, LogStore\n"
        "store = LogStore(pathlib.Path(sys.argv[1]))\n"
        "conversation = store.new_conversation()\n"
        "number = 0\n"
        "while True:\n"
        "    number += 1\n"
        "    said = [{'role': 'user', 'content': 'q'}]\n"
        "    store.log(conversation, Exchange('complete', f'kill {number}', 'a ' * 200, said))\n"
        "    print(number, flush=True)\n"
    )
    path, rng, seen = tmp_path / "log.db", random.Random(11), 0
    for _ in range(6):
        process = subprocess.Popen(
            [sys.executable, "-c", writer, str(path)], stdout=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 20
        assert process.stdout is not None
        first = process.stdout.readline()  # it has written at least once
        assert first.strip() and time.monotonic() < deadline
        time.sleep(rng.uniform(0.0, 0.3))
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate()
        seen += 1 + len(rest.split())
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = db.execute("SELECT count(*) FROM exchanges").fetchone()[0]
    assert kept >= seen  # every exchange it saw committed is there (and perhaps the next)


def test_a_log_of_version_1_is_migrated_and_keeps_its_exchanges(tmp_path: Path) -> None:
    from zorac_repl.log.schema import MIGRATIONS, statements

    with sqlite3.connect(tmp_path / "log.db") as db:
        for statement in statements(MIGRATIONS[0]):
            db.execute(statement)
        db.execute("INSERT INTO conversations(started) VALUES ('2026-01-01')")
        db.execute(
            "INSERT INTO exchanges(conversation_id, time, status, question, answer, messages) "
            "VALUES (1, '2026-01-01', 'complete', 'old question', 'old answer', '[]')"
        )
        db.execute("PRAGMA user_version = 1")
    store = LogStore(tmp_path / "log.db")
    assert [hit.conversation_id for hit in store.search("old question")] == [1]
    store.close()
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("SELECT count(*) FROM imported_files").fetchone()[0] == 0


def test_the_saved_sessions_are_imported_once_with_their_state(tmp_path: Path) -> None:
    shutil.copytree(BEFORE_THE_LOG, tmp_path, dirs_exist_ok=True)
    (tmp_path / "sessions" / "bad.json").write_text("{not json")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    store = LogStore(tmp_path / "log.db")
    rows = SessionRows(store)
    assert rows.names() == ["default", "work"]
    assert store.notice.startswith("Imported 3 saved sessions (4 exchanges) into the log")
    assert "Not imported, unreadable: bad.json" in store.notice
    work = rows.find("work")
    assert work is not None and rows.last_used() == work  # last-session named it
    written = json.loads((BEFORE_THE_LOG / "sessions" / "work.json").read_text())
    assert rows.state(work) == written  # whole: its own prompt, the thinking, the figures
    [first, *_] = store.messages(work) or []
    assert first["content"] == "How do I size --max-model-len?"
    listed = store.conversations()
    assert sorted(c.name or "-" for c in listed) == ["-", "default", "work"]  # "-": the backup
    assert store.search("speculative")[0].conversation_id not in (work, rows.find("default"))
    store.close()
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p in before} == (
        before
    )
    again = LogStore(tmp_path / "log.db")
    assert len(again.conversations()) == 3 and again.notice == ""


def test_a_log_of_version_2_gets_the_states_of_the_sessions_it_imported(tmp_path: Path) -> None:
    """Version 2 imported session files as exchanges only; version 3 adds their state and
    keeps their names, without importing them twice."""
    from zorac_repl.log.schema import MIGRATIONS, statements

    shutil.copytree(BEFORE_THE_LOG, tmp_path, dirs_exist_ok=True)
    work = tmp_path / "sessions" / "work.json"
    with sqlite3.connect(tmp_path / "log.db") as db:
        for migration in MIGRATIONS[:2]:
            for statement in statements(migration):
                db.execute(statement)
        db.execute("INSERT INTO conversations(started, name) VALUES ('2026-12-01', 'work')")
        db.execute(
            "INSERT INTO exchanges(conversation_id, time, status, question, answer, messages) "
            "VALUES (1, '2026-12-01', 'complete', 'How do I size --max-model-len?', 'Arr', '[]')"
        )
        db.execute("INSERT INTO imported_files VALUES (?, 1)", (str(work),))
        db.execute("PRAGMA user_version = 2")
    store = LogStore(tmp_path / "log.db")
    rows = SessionRows(store)
    assert rows.find("work") == 1
    assert rows.state(1) == json.loads(work.read_text())
    assert len(store.search("max-model-len")) == 1  # not imported a second time
    assert rows.names() == ["default", "work"]  # the file version 2 had not seen comes in
    store.close()
    with sqlite3.connect(tmp_path / "log.db") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_forgetting_removes_image_files_nothing_else_names(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    only_here, also_saved = "a" * 64, "b" * 64
    for digest in (only_here, also_saved):
        (images / digest).write_bytes(b"jpeg")
    (tmp_path / "session.json").write_text(f'{{"x": {{"sha256": "{also_saved}"}}}}')
    store = LogStore(tmp_path / "log.db")
    conversation = store.new_conversation()
    parts = [
        {
            "type": "image",
            "name": n,
            "sha256": d,
            "media_type": "image/jpeg",
            "width": 1,
            "height": 1,
            "size": 4,
        }
        for n, d in (("one.jpg", only_here), ("two.jpg", also_saved))
    ]
    messages = [{"role": "user", "content": [{"type": "text", "text": "look"}, *parts]}]
    store.log(conversation, Exchange("complete", "look", "ok", messages))
    assert store.forget(conversation)
    assert not (images / only_here).exists()
    assert (images / also_saved).exists()  # the session file still names it
