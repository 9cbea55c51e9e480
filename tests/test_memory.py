"""Conversation memory: offline token counts, saved sessions that never break, summaries
that lose nothing. Files are real files; the model is the dev server over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import client_for
from tests.saved_state import saved_state
from zorac_repl.chat.summarize import older_message_count, summarize
from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.errors import ZoracError
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import LogStore
from zorac_repl.server.client import ChatRequest
from zorac_repl.tokens import TokenCounter

# -- token counting ---------------------------------------------------------------------


def test_shipped_encoding_loads_with_no_network_and_no_cache(tmp_path):
    """The encoding builds from the package alone: sockets fail, tiktoken's cache is empty."""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    script = textwrap.dedent("""
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network is off in this test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from zorac_repl.tokens import TokenCounter
        counter = TokenCounter("cl100k_base")
        print(counter.is_estimate, counter.count("hello world"), counter.method)
    """)
    env = {**os.environ, "TIKTOKEN_CACHE_DIR": str(cache), "DATA_GYM_CACHE_DIR": str(cache)}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["False", "2", "tiktoken", "cl100k_base"]
    assert list(cache.iterdir()) == []  # nothing fetched, nothing cached


def test_shipped_file_matches_the_hash_tiktoken_publishes():
    import tiktoken_ext.openai_public as published

    from zorac_repl import tokens

    source = Path(published.__file__).read_text()
    assert tokens._CL100K_SHA256 in source


def test_counts_match_tiktoken_token_ids():
    counter = TokenCounter()
    # Known cl100k_base ids: "hello world" is [15339, 1917].
    counter.load()
    assert counter._encoding is not None
    assert counter._encoding.encode("hello world") == [15339, 1917]


def test_unavailable_encoding_falls_back_to_the_estimate_and_says_so_once():
    counter = TokenCounter("o200k_base")
    assert counter.is_estimate
    assert counter.count("x" * 40) == 10
    notice = counter.notice()
    assert notice is not None and "o200k_base" in notice and "estimates" in notice
    assert counter.notice() is None


# -- the conversation's saved form --------------------------------------------------------


def _conversation(pairs: int, system_prompt: str = "SYSTEM") -> Conversation:
    conversation = Conversation(system_prompt=system_prompt)
    for number in range(pairs):
        conversation.add_user(f"question {number}")
        conversation.add_assistant(f"answer {number}", AnswerMeta(model="m", tokens=2))
    return conversation


def test_saved_form_round_trips_without_the_system_prompt():
    conversation = _conversation(2)
    conversation.summary = "earlier"
    data = json.loads(json.dumps(conversation.to_json()))
    assert "SYSTEM" not in json.dumps(data)
    restored = Conversation(system_prompt="NEW DEFAULT")
    restored.load_json(data)
    assert restored.messages == conversation.messages and restored.summary == "earlier"
    assert restored.for_request()[0] == {"role": "system", "content": "NEW DEFAULT"}


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"version": 99, "messages": []},
        {"version": 1, "messages": "no"},
        {"version": 1, "messages": [{"role": "system", "content": "x"}]},
        {"version": 1, "messages": [{"role": "user", "content": 5}]},
    ],
)
def test_wrong_shapes_are_refused_and_change_nothing(data):
    conversation = _conversation(1)
    with pytest.raises(ShapeError):
        conversation.load_json(data)
    assert len(conversation.messages) == 2


# -- the conversation kept in the log ----------------------------------------------------


def _kept(directory: Path, name: str = "default") -> SavedConversation:
    return SavedConversation(Conversation(), LogStore(directory / "log.db"), name)


def test_save_is_private_and_loads_back(tmp_path):
    saved = _kept(tmp_path)
    saved.restore()
    saved.conversation.adopt(_conversation(1))
    saved.save()
    saved.release()
    assert stat.S_IMODE((tmp_path / "log.db").stat().st_mode) == 0o600
    again = _kept(tmp_path)
    restored = again.restore()
    assert restored.loaded is not None and restored.loaded.messages == 2
    assert again.conversation.messages[0].text == "question 0"
    again.release()


def test_an_unreadable_state_stays_in_the_log_and_a_fresh_one_starts(tmp_path):
    saved = _kept(tmp_path)
    saved.restore()
    saved.conversation.adopt(_conversation(1))
    saved.save()
    saved.release()
    with sqlite3.connect(tmp_path / "log.db") as db:
        db.execute("""UPDATE conversations SET state = '{"version": 1, "messages": ['""")
    again = _kept(tmp_path)
    restored = again.restore()
    assert restored.loaded is None
    assert "could not be loaded: its saved state is not JSON" in restored.note
    assert "It stays in the log as conversation 1; starting a fresh one." in restored.note
    assert again.id != 1 and again.name == "default"
    with sqlite3.connect(tmp_path / "log.db") as db:  # never overwritten
        [(kept,)] = db.execute("SELECT state FROM conversations WHERE id = 1").fetchall()
    assert kept == '{"version": 1, "messages": ['
    again.release()


def test_a_second_instance_gets_a_session_of_its_own(tmp_path):
    first, second = _kept(tmp_path), _kept(tmp_path)
    first.restore()
    first.conversation.adopt(_conversation(1))
    first.save()
    notice = second.restore().note
    assert "Another zorac-repl is using the session 'default'" in notice
    assert second.name == "default-2" and "default-2" in notice and second.id != first.id
    second.conversation.adopt(_conversation(3))
    second.save()
    assert len(saved_state(tmp_path)["messages"]) == 2  # untouched by the second instance
    assert len(saved_state(tmp_path, "default-2")["messages"]) == 6
    first.release()
    second.release()


_SAVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from zorac_repl.conversation.history import Conversation
    from zorac_repl.conversation.message import AnswerMeta, to_json
    from zorac_repl.log.saved import SavedConversation
    from zorac_repl.log.store import Exchange, LogStore
    saved = SavedConversation(Conversation(), LogStore(Path(sys.argv[1]) / "log.db"))
    saved.restore()
    conversation = saved.conversation
    big = "x" * 100_000
    print("ready", flush=True)
    while True:
        number = len(conversation.messages) // 2
        conversation.add_user(f"question {number} {big}")
        conversation.add_assistant(f"answer {number}", AnswerMeta())
        messages = [to_json(m) for m in conversation.messages[-2:]]
        saved.save(Exchange("complete", f"question {number}", "answer", messages))
""")


def test_kill_9_at_random_moments_of_saving_leaves_state_and_log_in_step(tmp_path):
    """A process killed anywhere in a save leaves the old state or the new one, with the
    exchanges that made it: never one without the other."""
    rng = random.Random(7)
    sizes = []
    for _ in range(12):
        saver = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert saver.stdout is not None and saver.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.1))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        with sqlite3.connect(tmp_path / "log.db") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            logged = db.execute("SELECT count(*) FROM exchanges").fetchone()[0]
        try:
            state = saved_state(tmp_path)
        except KeyError:  # killed before its first save
            state = {"version": 1, "summary": None, "messages": []}
        Conversation().load_json(state)
        assert len(state["messages"]) == 2 * logged
        sizes.append(logged)
    assert sizes[-1] > sizes[0]  # the kills did land while it was saving


# -- summarization against the dev server ---------------------------------------------------


def test_kept_messages_start_with_a_user_message():
    conversation = _conversation(5)
    assert older_message_count(conversation, 6) == 4
    assert older_message_count(conversation, 5) == 4  # never keep an answer without its question
    assert older_message_count(conversation, 20) == 0
    conversation.add_user("pending")
    assert conversation.messages[older_message_count(conversation, 3)].role == "user"


def _summarize(server, conversation: Conversation, keep: int = 2):
    async def run():
        async with client_for(server) as client:
            return await summarize(client, conversation, ChatRequest(server.model, 0.1, 500), keep)

    return asyncio.run(run())


def test_summary_replaces_older_messages_as_one_system_message(fresh_requests):
    conversation = _conversation(4)
    result = _summarize(fresh_requests, conversation)
    assert result is not None and result.replaced == 6
    assert [m.text for m in conversation.messages] == ["question 3", "answer 3"]
    sent = conversation.for_request()
    assert [m["role"] for m in sent] == ["system", "system", "user", "assistant"]
    assert sent[1]["content"].endswith(fresh_requests.chat_requests()[-1].served_text.strip())
    asked = fresh_requests.chat_requests()[-1].messages[-1]["content"]
    assert "question 0" in asked and "answer 2" in asked and "question 3" not in asked


@pytest.mark.parametrize("fault", ["drop", "status:500"])
def test_failed_summarization_loses_nothing(fresh_requests, fault):
    conversation = _conversation(4)
    before = json.dumps(conversation.to_json())
    fresh_requests.inject(fault)
    with pytest.raises(ZoracError):
        _summarize(fresh_requests, conversation)
    assert json.dumps(conversation.to_json()) == before
