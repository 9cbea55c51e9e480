"""Conversation memory: offline token counts, saved sessions that never break, summaries
that lose nothing. Files are real files; the model is the dev server over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.helpers import client_for
from zorac_repl.chat.summarize import older_message_count, summarize
from zorac_repl.conversation.history import Conversation, ShapeError
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.conversation.store import SessionStore
from zorac_repl.errors import ZoracError
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


# -- the session file ---------------------------------------------------------------------


def test_save_is_private_and_loads_back(tmp_path):
    store = SessionStore(tmp_path)
    store.claim()
    store.save(_conversation(1).to_json())
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load().data["messages"][0]["content"] == "question 0"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_corrupt_file_is_moved_aside_not_overwritten(tmp_path):
    store = SessionStore(tmp_path)
    store.path.write_text('{"version": 1, "messages": [')
    result = store.load()
    assert result.data is None and result.notice is not None
    moved = [p for p in tmp_path.iterdir() if p.name.startswith("session.corrupt-")]
    assert len(moved) == 1 and str(moved[0]) in result.notice
    assert moved[0].read_text() == '{"version": 1, "messages": ['
    assert not store.path.exists()


def test_second_instance_gets_its_own_file(tmp_path):
    first, second = SessionStore(tmp_path), SessionStore(tmp_path)
    first.claim()
    first.save(_conversation(1).to_json())
    second.claim()
    notice = second.load().notice
    assert notice is not None and "Another zorac-repl" in notice
    assert second.path != first.path and second.name == "default-2"
    assert second.path == tmp_path / "sessions" / "default-2.json" and "default-2" in notice
    second.save(_conversation(3).to_json())
    assert len(first.load().data["messages"]) == 2  # untouched by the second instance
    first.release()
    second.release()


_SAVER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from zorac_repl.conversation.store import SessionStore
    store = SessionStore(Path(sys.argv[1]))
    big = "x" * 400_000
    number = 0
    print("ready", flush=True)
    while True:
        number += 1
        store.save({"version": 1, "summary": None, "number": number,
                    "messages": [{"role": "user", "content": big}]})
""")


def test_kill_9_at_random_moments_of_saving_leaves_a_loadable_file(tmp_path):
    """A process killed anywhere in a save leaves the old file or the new one."""
    store = SessionStore(tmp_path)
    store.save({"version": 1, "summary": None, "number": 0, "messages": []})
    rng = random.Random(7)
    numbers = []
    for _ in range(12):
        saver = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert saver.stdout is not None and saver.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.0, 0.05))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        data = json.loads(store.path.read_text())  # never half a file
        numbers.append(data["number"])
        Conversation().load_json(data)
    assert any(n > 0 for n in numbers)  # the kills did land in the middle of saving


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
