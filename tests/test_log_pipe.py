"""``zorac-repl log`` through real pipes, after questions asked the usual ways."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import zorac_command
from tests.saved_state import BEFORE_THE_LOG
from zorac_repl.devserver import DevServer


def _run(server: DevServer | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    if server is not None:
        environment["VLLM_BASE_URL"] = server.base_url
    return subprocess.run(
        [zorac_command(), *args],
        input="",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )


def test_every_exchange_is_logged_listed_searched_and_read_back(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    assert _run(server, "[[echo]] the quick brown fox").returncode == 0
    assert _run(server, "--session", "work", "[[echo]] first of two").returncode == 0
    assert _run(server, "--session", "work", "[[echo]] second of two").returncode == 0
    listed = json.loads(_run(None, "log", "--json").stdout)
    assert [(c["first_line"], c["exchanges"]) for c in listed] == [
        ("[[echo]] first of two", 2),
        ("[[echo]] the quick brown fox", 1),
    ]
    plain = _run(None, "log").stdout.splitlines()
    assert plain[0].split()[0] == str(listed[0]["id"]) and "(2 exchanges)" in plain[0]
    hits = _run(None, "log", "-q", "brown fox").stdout
    assert "«brown» «fox»" in hits
    shown = _run(None, "log", str(listed[0]["id"])).stdout
    assert "## You\n\n[[echo]] first of two" in shown
    assert "## Assistant" in shown and "second of two" in shown


def test_a_failed_turn_is_logged_as_such_and_log_is_still_a_question_after_dashes(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    assert _run(server, "[[fault=drop]] will break").returncode == 3
    assert _run(server, "--", "log").returncode == 0  # asked, not the log command
    hits = json.loads(_run(None, "log", "-q", "break", "--json").stdout)
    assert len(hits) == 1
    conversation = json.loads(_run(None, "log", str(hits[0]["id"]), "--json").stdout)
    assert conversation["messages"] == []  # a failed exchange is never history
    listed = json.loads(_run(None, "log", "--json").stdout)
    assert listed[0]["first_line"] == "log"


def test_log_off_keeps_nothing_and_rm_deletes_for_real(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    assert _run(server, "[[echo]] not kept", LOG="off").returncode == 0
    assert not (Path(os.environ["ZORAC_DATA_DIR"]) / "log.db").exists()
    assert _run(server, "[[echo]] kept, then removed").returncode == 0
    [entry] = json.loads(_run(None, "log", "--json").stdout)
    removed = _run(None, "log", "rm", str(entry["id"]))
    assert removed.returncode == 0 and "Deleted conversation" in removed.stderr
    assert json.loads(_run(None, "log", "--json").stdout) == []
    assert _run(None, "log", str(entry["id"])).returncode == 1


def _files_of(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(directory)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_the_first_log_command_imports_the_saved_sessions_once(
    make_server: Callable[..., DevServer],
) -> None:
    """Session files as the release before the log wrote them: a default one, a named one
    with thinking and its own system prompt, a /clear backup, and last-session."""
    data = Path(os.environ["ZORAC_DATA_DIR"])
    shutil.copytree(BEFORE_THE_LOG, data, dirs_exist_ok=True)
    before = _files_of(data)
    first = _run(None, "log")
    assert "Imported 3 saved sessions (4 exchanges) into the log" in first.stderr
    lines = first.stdout.splitlines()
    assert len(lines) == 3
    assert "How do I size --max-model-len?" in first.stdout and "[work]" in first.stdout
    assert "What is paged attention?" in first.stdout and "[default]" in first.stdout
    assert "speculative decoding" in first.stdout  # the backup, nameless
    second = _run(None, "log")
    assert "Imported" not in second.stderr
    assert second.stdout == first.stdout
    # -c continues the session last-session named, with its own prompt, without thinking.
    server = make_server()
    asked = _run(server, "-c", "[[echo]] and one more")
    assert asked.returncode == 0, asked.stderr
    sent = server.chat_requests()[-1].messages
    assert sent[0] == {"role": "system", "content": "Answer as a pirate."}
    assert [m["content"] for m in sent[1:]] == [
        "How do I size --max-model-len?",
        "Arr, to the memory ye have, less the weights.",
        "And prefix caching?",
        "It reuses the cache of a shared prefix, matey.",
        "[[echo]] and one more",
    ]
    assert "matey" in _run(None, "log", "-q", "matey").stdout
    after = _files_of(data)  # the session files are left exactly as they were
    assert {name: after[name] for name in before} == before
    assert all(name.startswith("log.db") for name in set(after) - set(before))


def test_a_log_that_cannot_be_opened_is_one_line_and_the_answer_still_comes(
    make_server: Callable[..., DevServer],
) -> None:
    server = make_server()
    data = Path(os.environ["ZORAC_DATA_DIR"])
    (data / "log.db").mkdir(parents=True)  # in the way, as a full or broken disk would be
    done = _run(server, "[[echo]] still answered")
    assert done.returncode == 0
    assert done.stdout == "still answered\n"
    [line] = [line for line in done.stderr.splitlines() if "log" in line]
    assert line.startswith(f"The log {data / 'log.db'} cannot be opened")
    assert line.endswith("The chat goes on without the log.")


def test_a_full_disk_is_one_line_and_the_answer_still_comes(
    make_server: Callable[..., DevServer],
) -> None:
    """A file-size limit stands in for a full disk: the log's next write cannot grow it."""
    import resource

    server = make_server()
    assert _run(server, "-c", "[[echo]] a first question").returncode == 0
    limit = 64 * 1024  # above the log's index file (32 KiB); a long answer's write is not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    environment = {**os.environ, "VLLM_BASE_URL": server.base_url}
    done = subprocess.run(
        [zorac_command(), "-c", "--max-tokens", "9000", "[[tokens=8000]] a long answer"],
        input="",
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        preexec_fn=small_files,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 10_000  # the whole answer
    lines = [line for line in done.stderr.splitlines() if "log" in line]
    assert len(lines) == 1 and lines[0].endswith("The chat goes on without the log.")
    assert "Traceback" not in done.stderr
    listed = _run(None, "log", "--json")
    assert [c["exchanges"] for c in json.loads(listed.stdout)] == [1]  # the first, whole
