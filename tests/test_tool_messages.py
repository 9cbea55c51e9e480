"""Tool calls and results as messages: on the wire, saved, and as whole exchanges."""

from __future__ import annotations

from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import (
    AnswerMeta,
    AssistantMessage,
    ToolMessage,
    UserMessage,
    message_from_json,
    to_json,
    to_wire,
)
from zorac_repl.conversation.tool_calls import ToolCall

CALL = ToolCall("call_1", "files__read_file", '{"path": "README.md"}')


def _with_rounds(conversation: Conversation, question: str = "what is in README?") -> None:
    conversation.add_user(question)
    conversation.add_assistant("Let me look.", AnswerMeta(), tool_calls=(CALL,))
    conversation.add_tool_result(ToolMessage("call_1", "# zorac", "files", "read_file"))
    conversation.add_assistant("It is a README.", AnswerMeta())


def test_calls_and_results_go_on_the_wire_as_servers_take_them() -> None:
    assert to_wire(AssistantMessage("", tool_calls=(CALL,))) == {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "files__read_file", "arguments": '{"path": "README.md"}'},
            }
        ],
    }
    assert to_wire(ToolMessage("call_1", "text", "files", "read_file")) == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "text",
    }


def test_calls_and_results_are_saved_and_read_back_whole() -> None:
    for message in (
        AssistantMessage("looking", AnswerMeta(model="m"), (CALL,)),
        ToolMessage("call_1", "refused by the user", "files", "read_file", "refused", 0.25),
    ):
        assert message_from_json(to_json(message)) == message


def test_an_exchange_with_tool_rounds_is_one_exchange_for_undo_and_edit() -> None:
    conversation = Conversation()
    conversation.add_user("first")
    conversation.add_assistant("one", AnswerMeta())
    _with_rounds(conversation)
    assert conversation.exchanges_at_end() == 2
    assert conversation.last_exchange_start() == 2
    removed = conversation.remove_exchanges(1)
    assert [m.role for m in removed] == ["user", "assistant", "tool", "assistant"]
    assert [m.text for m in conversation.messages] == ["first", "one"]
    assert conversation.answers()[-1].content == "one"


def test_a_failed_round_takes_the_user_message_and_its_calls_back() -> None:
    conversation = Conversation()
    conversation.add_user("read it")
    conversation.add_assistant("", AnswerMeta(), tool_calls=(CALL,))
    conversation.add_tool_result(ToolMessage("call_1", "cancelled", "files", "read_file"))
    assert conversation.rollback_user() == "read it"
    assert conversation.messages == []
    assert isinstance(UserMessage("x"), UserMessage)
