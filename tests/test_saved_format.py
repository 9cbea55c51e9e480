"""Sessions saved by an earlier release are imported as the same conversation, and saved
back into the log unchanged.

``data/session-written-by-0.1.0.json`` was written by the code before messages were typed
(commit 80ec1fb): a summary, its own system prompt, a profile, an exact count, answers
with and without thinking, a null TTFT and a zero thinking time.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.saved_state import saved_state
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta, AssistantMessage, UserMessage
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import LogStore
from zorac_repl.tokens import TokenCounter

WRITTEN_BY_0_1_0 = Path(__file__).parent / "data" / "session-written-by-0.1.0.json"


def _restored(directory: Path) -> SavedConversation:
    directory.mkdir()
    shutil.copy(WRITTEN_BY_0_1_0, directory / "session.json")
    counter = TokenCounter()
    counter.load()
    saved = SavedConversation(
        Conversation(counter=counter), LogStore(directory / "log.db"), "default", lambda: "gpu-box"
    )
    saved.restore()
    return saved


def test_a_session_saved_by_0_1_0_saves_back_unchanged(tmp_path):
    saved = _restored(tmp_path / "data")
    try:
        assert saved.save() is None
        assert saved_state(tmp_path / "data") == json.loads(WRITTEN_BY_0_1_0.read_text())
    finally:
        saved.release()


def test_a_session_saved_by_0_1_0_loads_as_typed_messages(tmp_path):
    saved = _restored(tmp_path / "data")
    try:
        conversation = saved.conversation
        assert [type(m) for m in conversation.messages] == [UserMessage, AssistantMessage] * 3
        first_answer = conversation.messages[1]
        assert isinstance(first_answer, AssistantMessage)
        assert first_answer.meta == AnswerMeta(
            time="2026-12-01T10:00:00+00:00",
            model="Qwen/Qwen3-8B",
            tokens=42,
            duration=1.234,
            ttft=0.31,
            thinking="The user wants a short answer.",
            thinking_tokens=12,
            thinking_seconds=0.5,
        )
        assert conversation.own_system_prompt == "You are terse.\nAnswer in one line."
        assert conversation.summary and conversation.profile == "gpu-box"
        # The thinking is kept, never sent back.
        sent = conversation.for_request()
        assert all("short answer" not in m["content"] for m in sent)
        assert [m["role"] for m in sent] == ["system", "system"] + ["user", "assistant"] * 3
    finally:
        saved.release()


def test_metadata_this_version_does_not_know_is_kept(tmp_path):
    meta = AnswerMeta.from_json(
        {
            "time": "t",
            "model": "m",
            "tokens": 1,
            "duration": 1.0,
            "ttft": None,
            "server": "vLLM",
            "cached": 5,
        }
    )
    assert meta.others == (("server", "vLLM"), ("cached", 5))
    assert list(meta.to_json()) == [
        "time",
        "model",
        "tokens",
        "duration",
        "ttft",
        "server",
        "cached",
    ]
