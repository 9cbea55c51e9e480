"""Broken, hostile or odd files: nothing stops start-up for good, nothing is lost, and a
failed load changes nothing (issue 25)."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.conversation.saved import SavedConversation, last_session, remember_last
from zorac_repl.conversation.store import SessionStore, saved_names
from zorac_repl.errors import StoreError
from zorac_repl.repl.input_history import InputHistory
from zorac_repl.repl.large_paste import PasteStore
from zorac_repl.settings.profiles import read_profiles
from zorac_repl.settings.table import read_config_file, write_config_value
from zorac_repl.tokens import TokenCounter

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_session_file_is_moved_aside_with_a_notice(tmp_path: Path):
    (tmp_path / "session.json").write_text(DEEP)
    saved = SavedConversation(Conversation(), tmp_path)
    restored = saved.restore()
    saved.release()
    assert "nested too deeply" in restored.note and "moved to" in restored.note
    assert not (tmp_path / "session.json").exists()
    assert list(tmp_path.glob("session.corrupt-*.json"))


def test_a_deeply_nested_config_file_is_a_notice_not_a_crash(tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(DEEP)
    values, notices = read_config_file(path)
    assert values == {} and "nested too deeply" in notices[0]
    assert read_profiles(path)[0] == {}
    with pytest.raises(StoreError, match="nested too deeply"):
        write_config_value(path, "TEMPERATURE", "0.5")
    assert path.read_text() == DEEP


def test_a_failed_load_of_a_named_session_changes_nothing(tmp_path: Path):
    saved = SavedConversation(Conversation(), tmp_path)
    saved.restore()
    saved.conversation.add_user("keep me")
    saved.save()
    broken = tmp_path / "sessions" / "broken.json"
    broken.parent.mkdir()
    broken.write_text(DEEP)
    with pytest.raises(StoreError, match="Nothing changed: 'default' goes on"):
        saved.switch("broken")
    assert saved.name == "default" and saved.path == tmp_path / "session.json"
    saved.conversation.add_user("and me")
    saved.save()
    saved.release()
    kept = json.loads((tmp_path / "session.json").read_text())
    assert [m["content"] for m in kept["messages"]] == ["keep me", "and me"]


def test_absurd_figures_in_a_session_file_are_not_believed(tmp_path: Path):
    meta = {"tokens": -1_000_000_000, "duration": -5}
    answer = {"role": "assistant", "content": "a", "meta": meta}
    data = {
        "version": 1,
        "messages": [{"role": "user", "content": "q"}, answer],
        "exact_tokens": {"total": -1_000_000_000, "messages": 2},
    }
    (tmp_path / "session.json").write_text(json.dumps(data))
    saved = SavedConversation(Conversation(), tmp_path)
    saved.restore()
    saved.release()
    conversation = saved.conversation
    assert conversation.token_count() > 0
    meta = conversation.messages[1].meta
    assert meta is not None and meta.tokens is None and meta.duration is None


def test_profile_values_of_the_wrong_shape_are_warned_about(tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"profiles": {"box": {"api_key": ["x"], "model": "m"}}}))
    profiles, _, warnings = read_profiles(path)
    assert "VLLM_API_KEY" not in profiles["box"].values
    assert any("api_key in the profile 'box'" in w and "list" in w for w in warnings)
    path.write_text(json.dumps({"profiles": "x"}))
    assert any('"profiles"' in w for w in read_profiles(path)[2])


# -- the input history -------------------------------------------------------------------------


def _history(path: Path) -> tuple[InputHistory, PasteStore]:
    pastes = PasteStore()
    return InputHistory(path, pastes), pastes


def test_the_history_is_not_written_through_a_symbolic_link(tmp_path: Path):
    target = tmp_path / "target"
    target.write_text("precious\n")
    (tmp_path / "history").symlink_to(target)
    history, _ = _history(tmp_path / "history")
    history.prepare()
    history.append_string("typed")
    assert target.read_text() == "precious\n"
    assert len(history.problems) == 1 and "symbolic link" in history.problems[0]


def test_a_history_that_cannot_be_written_is_said_once(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    history, _ = _history(blocker / "data" / "history")
    history.prepare()
    for text in ("one", "two", "three"):
        history.append_string(text)
    assert len(history.problems) == 1 and "cannot be written" in history.problems[0]
    assert list(history.get_strings()) == ["one", "two", "three"]


def test_a_large_paste_is_recalled_as_its_placeholder_and_not_written(tmp_path: Path):
    history, pastes = _history(tmp_path / "history")
    history.prepare()
    big = "line of a log\n" * 10_000  # 140 kB
    placeholder = pastes.hold(big)
    history.append_string(f"summarize {placeholder}")
    history.append_string("/config set VLLM_API_KEY sk-123")
    history.append_string("small one")
    assert history.get_strings() == [f"summarize {placeholder}", "small one"]
    assert pastes.expand(history.get_strings()[0]) == f"summarize {big}"
    written = (tmp_path / "history").read_text()
    assert "small one" in written and "line of a log" not in written and "sk-123" not in written
    assert stat.S_IMODE((tmp_path / "history").stat().st_mode) == 0o600


def test_a_large_entry_in_an_old_history_comes_back_as_a_placeholder(tmp_path: Path):
    big = "x" * 50_000
    (tmp_path / "history").write_text(f"\n# old\n+{big}\n\n# old\n+short\n")
    history, pastes = _history(tmp_path / "history")
    loaded = list(history.load_history_strings())
    assert loaded[0] == "short" and loaded[1].startswith("[pasted 50 kB, 1 line]")
    assert pastes.expand(loaded[1]) == big


# -- the session's other files -----------------------------------------------------------------


def test_last_session_is_private_and_not_written_through_a_link(tmp_path: Path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    (tmp_path / "last-session").symlink_to(target)
    remember_last(tmp_path, "work")
    assert target.read_text() == "keep"
    (tmp_path / "last-session").unlink()
    remember_last(tmp_path, "work")
    assert stat.S_IMODE((tmp_path / "last-session").stat().st_mode) == 0o600


def test_a_lock_file_goes_with_its_session_and_is_never_a_link(tmp_path: Path):
    store = SessionStore(tmp_path, "work")
    store.claim()
    assert (tmp_path / "sessions" / "work.lock").exists()
    store.release()
    assert not (tmp_path / "sessions" / "work.lock").exists()
    target = tmp_path / "target"
    target.write_text("keep")
    (tmp_path / "session.lock").symlink_to(target)
    store = SessionStore(tmp_path)
    store.claim()  # no lock through a link; saving still works
    store.save({"version": 1, "messages": []})
    store.release()
    assert target.read_text() == "keep"


def test_temporary_files_a_killed_save_left_are_removed_at_the_next_claim(tmp_path: Path):
    stale = tmp_path / ".session.json.abc123.tmp"
    fresh = tmp_path / ".session.json.def456.tmp"
    stale.write_text("half")
    fresh.write_text("half")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    store = SessionStore(tmp_path)
    store.claim()
    store.release()
    assert not stale.exists() and fresh.exists()  # a young one may be a save in progress


def test_backups_and_quarantined_files_are_not_sessions(tmp_path: Path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    for name in ("work", "work-backup-20261207-101010", "work.corrupt-20261207-101010-2"):
        (folder / f"{name}.json").write_text("{}")
    assert saved_names(tmp_path) == ["work"]


def test_a_second_repl_is_a_session_that_load_reaches(tmp_path: Path):
    first = SavedConversation(Conversation(), tmp_path)
    first.restore()
    second = SavedConversation(Conversation(), tmp_path)
    restored = second.restore()
    assert second.name == "default-2" and "default-2" in restored.note
    second.conversation.add_user("from the second")
    second.save()
    second.release()
    assert "default-2" in saved_names(tmp_path)
    assert last_session(tmp_path) == "default-2"
    first.switch("default-2")
    assert first.conversation.messages[0].text == "from the second"
    first.release()


# -- a long conversation ---------------------------------------------------------------------


class _CountingCounter(TokenCounter):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def count(self, text: str) -> int:
        self.calls += 1
        return super().count(text)


def test_a_long_conversation_is_counted_once_per_message_not_per_redraw():
    counter = _CountingCounter()
    counter.load()
    conversation = Conversation(counter=counter, system_prompt="S")
    for number in range(1000):
        conversation.add_user(f"question {number}")
        conversation.add_assistant(f"answer {number}", AnswerMeta())
    first = conversation.token_count()
    counter.calls = 0
    assert conversation.token_count() == first
    assert counter.calls <= 3  # the system prompt, not the 2,000 messages
    conversation.add_user("one more")
    assert conversation.token_count() > first
    assert counter.calls <= 8
    assert conversation.token_count() == counter.count_messages(conversation.for_request())
