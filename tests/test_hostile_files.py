"""Broken, hostile or odd files: nothing stops start-up for good, nothing is lost, and a
failed load changes nothing (issue 25)."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.saved_state import saved_state
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.errors import StoreError
from zorac_repl.log.locks import ConversationLock
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.session_import import session_files
from zorac_repl.log.sessions import SessionRows
from zorac_repl.log.store import LogStore
from zorac_repl.repl.input_history import InputHistory
from zorac_repl.repl.large_paste import PasteStore
from zorac_repl.settings.profiles import read_profiles
from zorac_repl.settings.table import read_config_file, write_config_value
from zorac_repl.tokens import TokenCounter

DEEP = "[" * 100_000 + "]" * 100_000


def _kept(directory: Path, name: str = "default") -> SavedConversation:
    return SavedConversation(Conversation(), LogStore(directory / "log.db"), name)


def test_a_deeply_nested_session_file_is_reported_and_left_alone(tmp_path: Path):
    (tmp_path / "session.json").write_text(DEEP)
    saved = _kept(tmp_path)
    restored = saved.restore()
    saved.release()
    assert "Not imported, unreadable: session.json (maximum recursion depth" in restored.note
    assert restored.loaded is None
    assert (tmp_path / "session.json").read_text() == DEEP  # never deleted


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
    saved = _kept(tmp_path)
    saved.restore()
    saved.conversation.add_user("keep me")
    saved.save()
    broken = SessionRows(saved.store).named("broken")
    with sqlite3.connect(tmp_path / "log.db") as db:
        db.execute("UPDATE conversations SET state = ? WHERE id = ?", (DEEP, broken))
    with pytest.raises(StoreError, match="Nothing changed: 'default' goes on"):
        saved.switch("broken")
    assert saved.name == "default"
    saved.conversation.add_user("and me")
    saved.save()
    saved.release()
    kept = saved_state(tmp_path)
    assert [m["content"] for m in kept["messages"]] == ["keep me", "and me"]
    with sqlite3.connect(tmp_path / "log.db") as db:  # and it is still there, as it was
        [(state,)] = db.execute("SELECT state FROM conversations WHERE id = ?", (broken,))
    assert state == DEEP


def test_absurd_figures_in_a_session_file_are_not_believed(tmp_path: Path):
    meta = {"tokens": -1_000_000_000, "duration": -5}
    answer = {"role": "assistant", "content": "a", "meta": meta}
    data = {
        "version": 1,
        "messages": [{"role": "user", "content": "q"}, answer],
        "exact_tokens": {"total": -1_000_000_000, "messages": 2},
    }
    (tmp_path / "session.json").write_text(json.dumps(data))
    saved = _kept(tmp_path)
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


def test_a_lock_file_goes_with_its_conversation_and_is_never_a_link(tmp_path: Path):
    lock = ConversationLock(tmp_path, 7)
    assert lock.take()
    assert (tmp_path / "locks" / "7.lock").exists()
    assert not ConversationLock(tmp_path, 7).take()  # held: by this process, all the same
    lock.release()
    assert not (tmp_path / "locks" / "7.lock").exists()
    target = tmp_path / "target"
    target.write_text("keep")
    (tmp_path / "locks" / "8.lock").symlink_to(target)
    other = ConversationLock(tmp_path, 8)
    other.take()  # no lock through a link
    other.release()
    assert target.read_text() == "keep"


def test_backups_and_quarantined_files_are_not_sessions(tmp_path: Path):
    folder = tmp_path / "sessions"
    folder.mkdir()
    for name in ("work", "work-backup-20261207-101010", "work.corrupt-20261207-101010-2"):
        (folder / f"{name}.json").write_text("{}")
    assert [(name, path.name) for name, path in session_files(tmp_path)] == [
        ("work", "work.json"),
        (None, "work-backup-20261207-101010.json"),  # imported, nameless
    ]


def test_a_second_repl_is_a_session_that_load_and_c_reach(tmp_path: Path):
    first = _kept(tmp_path)
    first.restore()
    second = _kept(tmp_path)
    restored = second.restore()
    assert second.name == "default-2" and "default-2" in restored.note
    second.conversation.add_user("from the second")
    second.save()
    second.release()
    rows = SessionRows(first.store)
    assert "default-2" in rows.names()
    assert rows.last_used() == second.id  # -c takes it up
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
