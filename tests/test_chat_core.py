"""The chat core's own rules, with a scripted fake client: fast, and no terminal.

What crosses the wire (SSE, errors, the SDK) is tested against the dev server elsewhere;
here the client is ``tests.helpers.ScriptedClient`` and the front end records what it
was told.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

from tests.chat_harness import ChatHarness
from tests.helpers import ScriptedClient
from tests.saved_state import saved_state
from zorac_repl.chat.budget import Budget
from zorac_repl.chat.core import Asked
from zorac_repl.conversation.message import AnswerMeta
from zorac_repl.errors import ServerError, StreamInterrupted
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings


class _Chat(ChatHarness):
    """A chat core on a scripted client, its conversation saved under ``directory``."""

    def __init__(self, directory: Path, settings: Settings | None = None, **client: object):
        self.client = ScriptedClient(**client)  # type: ignore[arg-type]
        settings = settings or Settings(model=self.client.model, system_prompt="S")
        super().__init__(directory, settings, lambda _: self.client)  # type: ignore[arg-type,return-value]

    def ask(self, text: str) -> Asked:
        return asyncio.run(self.chat.ask(text))

    def texts(self) -> list[str]:
        return [message.text for message in self.conversation.messages]

    def sent_last(self) -> list[str]:
        return [message["content"] for message in self.client.requests[-1]]


def _with_history(chat: _Chat, exchanges: int, words: int = 60) -> None:
    for number in range(exchanges):
        chat.conversation.add_user(f"question {number} " + "word " * words)
        chat.conversation.add_assistant(f"answer {number} " + "word " * words, AnswerMeta())


def test_an_answer_joins_the_conversation_and_is_saved(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("Hello", " there.")
    asked = chat.ask("hi")
    assert asked.is_answered and asked.draft == ""
    assert chat.texts() == ["hi", "Hello there."]
    assert chat.sent_last() == ["S", "hi"]
    assert "".join(chat.front.written).startswith("Hello there.")
    assert chat.front.reports == [asked]
    assert "Hello there." in json.dumps(saved_state(tmp_path))


def test_a_failed_answer_gives_the_message_back_and_retry_sends_it_again(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("Half an ans", error=StreamInterrupted("dropped"))
    asked = chat.ask("explain KV cache")
    assert not asked.is_answered and asked.draft == "explain KV cache"
    assert isinstance(asked.error, StreamInterrupted)
    assert chat.texts() == []  # no orphan question, no half answer
    chat.client.answer("The whole answer.")
    retried = asyncio.run(chat.chat.retry())
    assert retried is not None and retried.is_answered
    assert chat.texts() == ["explain KV cache", "The whole answer."]
    assert chat.sent_last() == ["S", "explain KV cache"]


def test_retry_replaces_the_last_answer_and_a_failed_retry_keeps_it(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("First answer.")
    chat.ask("q")
    chat.client.answer("Second answer.")
    asyncio.run(chat.chat.retry())
    assert chat.texts() == ["q", "Second answer."]
    assert chat.sent_last() == ["S", "q"]  # the old answer was not sent back
    chat.client.answer(error=ServerError("Server error (HTTP 500)"))
    failed = asyncio.run(chat.chat.retry())
    assert failed is not None and not failed.is_answered
    assert chat.texts() == ["q", "Second answer."]


def test_edit_replaces_the_exchange_and_a_failed_edit_puts_it_back(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("A1")
    chat.ask("first")
    chat.client.answer("A2")
    chat.ask("secnod")
    assert chat.chat.edit() == "secnod"
    chat.client.answer(error=ServerError("Server error (HTTP 500)"))
    assert chat.ask("second").draft == "second"
    assert chat.texts() == ["first", "A1", "secnod", "A2"]
    assert chat.chat.edit() == "secnod"
    chat.client.answer("A2, again")
    chat.ask("second")
    assert chat.texts() == ["first", "A1", "second", "A2, again"]
    assert chat.sent_last() == ["S", "first", "A1", "second"]


def test_edit_replaces_nothing_once_the_conversation_moved_on(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("A1")
    chat.ask("first")
    chat.chat.edit()
    chat.conversation.remove_exchanges(1)  # /undo meanwhile
    chat.client.answer("A")
    chat.ask("other")
    assert chat.texts() == ["other", "A"]


def test_over_the_budget_older_messages_are_summarized_before_sending(tmp_path):
    settings = Settings(
        model="scripted", system_prompt="S", max_input_tokens=600, keep_recent_messages=2
    )
    chat = _Chat(tmp_path, settings, window=None)
    _with_history(chat, exchanges=5)
    chat.client.summaries.append("They talked about words.")
    chat.client.answer("Done.")
    asked = chat.ask("and now?")
    assert asked.is_answered
    summary_request, sent = chat.client.requests
    assert "question 0" in summary_request[-1]["content"]
    assert [m["content"] for m in sent] == [
        "S",
        "Summary of the earlier conversation:\nThey talked about words.",
        f"question 4 {'word ' * 60}",
        f"answer 4 {'word ' * 60}",
        "and now?",
    ]
    assert "Summarized 8 older messages" in chat.status.getvalue()


def test_a_failed_summary_sends_nothing_and_loses_nothing(tmp_path):
    settings = Settings(
        model="scripted", system_prompt="S", max_input_tokens=600, keep_recent_messages=2
    )
    chat = _Chat(tmp_path, settings, window=None)
    _with_history(chat, exchanges=5)
    before = list(chat.conversation.messages)
    chat.client.summaries.append(ServerError("Server error (HTTP 503)"))
    asked = chat.ask("and now?")
    assert asked.outcome is None and asked.draft == "and now?"
    assert isinstance(asked.error, ServerError) and asked.error_told
    assert chat.conversation.messages == before and chat.conversation.summary is None
    assert len(chat.client.requests) == 1  # the summary's; the message was not sent


def test_with_nothing_old_enough_to_summarize_the_message_is_sent_anyway(tmp_path):
    settings = Settings(
        model="scripted", system_prompt="S", max_input_tokens=50, keep_recent_messages=6
    )
    chat = _Chat(tmp_path, settings, window=None)
    chat.client.answer("Fine.")
    assert chat.ask("word " * 200).is_answered
    assert "nothing old enough to summarize" in chat.status.getvalue()


def test_the_budget_is_the_servers_window_less_the_room_for_the_answer(tmp_path):
    chat = _Chat(tmp_path, Settings(system_prompt="S", max_output_tokens=1000), window=8192)
    chat.client.answer("ok")
    chat.ask("hi")  # no model set: the server is asked, and names its window
    assert chat.live.current.model == "scripted"
    assert chat.chat._budget.limit == 8192 - 1000
    assert chat.front.reports[-1].stats.endswith("/7192 tokens")
    settings = replace(chat.live.current, max_input_tokens=500)
    assert (
        Budget(LiveSettings(settings, tmp_path / "c.json", {}), chat.link, chat.conversation).limit
        == 7192
    )  # a default MAX_INPUT_TOKENS is a guess


def test_an_answer_after_a_dropped_one_clears_server_unreachable(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("Half", error=StreamInterrupted("dropped"))
    chat.ask("one")
    assert chat.link.status == "server unreachable"
    chat.client.answer("Whole.")
    assert chat.ask("two").is_answered
    assert chat.link.status == chat.client.model


def test_retry_says_what_it_sends_again(tmp_path):
    chat = _Chat(tmp_path)
    chat.client.answer("Half", error=StreamInterrupted("dropped"))
    chat.ask("explain KV cache")
    chat.client.answer("Whole.")
    asyncio.run(chat.chat.retry())
    assert 'Sending again: "explain KV cache"' in chat.status.getvalue()
    chat.client.answer("Another.")
    asyncio.run(chat.chat.retry())
    assert 'Asking again, in place of the last answer: "explain KV cache"' in (
        chat.status.getvalue()
    )
