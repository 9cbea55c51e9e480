"""Broken, hostile or odd files: nothing stops start-up for good, nothing is lost, and a
failed load changes nothing (issue 25)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.saved import SavedConversation
from zorac_repl.errors import StoreError
from zorac_repl.settings.profiles import read_profiles
from zorac_repl.settings.table import read_config_file, write_config_value

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
