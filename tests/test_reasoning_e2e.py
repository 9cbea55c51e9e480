"""Reasoning models in the interactive REPL, as a user sees them in a pseudo-terminal."""

from __future__ import annotations

import json
import re

import pytest

from tests.helpers import start_repl
from tests.saved_state import saved_state
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer

SHAPES = ["reasoning", "reasoning_content", "tags", "close"]
_FOLDED = r"Thought for [\d.]+s \((\d+) tokens\) · /think shows it"


def _start(terminal: type[Terminal], server: DevServer, *args: str, **env: str) -> Terminal:
    return start_repl(terminal, server, *args, env=env)


@pytest.mark.parametrize("shape", SHAPES)
def test_thinking_streams_in_a_bounded_area_then_folds_to_one_line(terminal, fresh_requests, shape):
    term = _start(terminal, fresh_requests)
    term.enter(f"Explain batching [[think=400 via={shape} rate=150]]")
    if shape != "close":
        term.wait_for(r"Thinking… [\d.]+s")
        term.wait_for(r"thinking \| \d+ tokens \| [\d.]+s \| [\d.]+ tok/s")
        # However long the thought, the area shows at most six of its rows: once 200
        # tokens of it have come, far more than six rows' worth.
        term.wait_for(r"thinking \| ([2-9]\d\d|\d{4,}) tokens")
        screen = term.text().splitlines()
        header = next(i for i, row in enumerate(screen) if "Thinking…" in row)
        toolbar = next(i for i, row in enumerate(screen) if "thinking |" in row)
        assert 1 <= toolbar - header - 1 <= 6
    # Only </think> tells a closing-tag model's thinking apart: until then it shows as the
    # answer, kept out of scrollback, and then it folds like any other.
    match = term.wait_for(_FOLDED, timeout=20)
    term.wait_for(r"Stats: \d+ tokens \(\d+ thinking\) in [\d.]+s \(.*answer at [\d.]+s\)")
    assert abs(int(match.group(1)) - 400) <= 10
    record = fresh_requests.chat_requests()[-1]
    scrollback = term.scrollback()
    thought = record.served_reasoning or record.served_text.split("</think>")[0]
    # The thinking is gone from the screen, the answer is there, no tags anywhere.
    assert thought.split()[3] + " " + thought.split()[4] not in scrollback.split("Thought for")[1]
    assert "<think>" not in scrollback and "</think>" not in scrollback
    answer_heading = record.served_text.split("</think>")[-1].strip().splitlines()[0]
    assert answer_heading.lstrip("# ") in scrollback
    term.enter("/think")
    term.wait_for(r"Thinking before the last answer \(\d+ tokens, [\d.]+s\):")
    term.wait_for(r"\s+".join(map(re.escape, thought.split()[-4:])))


def test_show_keeps_the_whole_thinking_dimmed_in_scrollback(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "--reasoning", "show")
    term.enter("Explain [[think=300 rate=600]]")
    term.wait_for(r"Thought for [\d.]+s \(300 tokens\)\n")
    term.wait_for(r"Stats: ")
    thought = fresh_requests.chat_requests()[-1].served_reasoning
    flat = " ".join(term.scrollback().split())
    assert " ".join(thought.split()) in flat
    assert "/think shows it" not in flat


def test_hide_shows_only_the_folded_line(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "--reasoning", "hide")
    term.enter("Explain [[think=200 rate=200]]")
    term.wait_for(r"Thinking… [\d.]+s")
    thought = fresh_requests.chat_requests()[-1]
    term.wait_for(_FOLDED)
    term.wait_for("Stats: ")
    first_words = " ".join(thought.served_reasoning.split()[:4])
    assert first_words not in term.scrollback()


def test_ctrl_c_while_thinking_restores_the_draft_and_says_so(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    question = "Think long [[think=3000 rate=100]]"
    term.enter(question)
    term.wait_for(r"thinking \| \d+ tokens")
    term.ctrl("c")
    term.wait_for(r"Thinking stopped after [\d.]+s\.")
    term.wait_for(r"Response interrupted\.")
    term.wait_for(r"> Think long \[\[think=3000 rate=100\]\]")
    record = fresh_requests.chat_requests()[-1]
    assert record.finished.wait(5) and record.disconnected_before_done
    assert "Thought for" not in term.scrollback()


def test_think_after_a_restart_and_history_without_thinking(terminal, server, tmp_path):
    term = _start(terminal, server)
    term.enter("First [[think=50 via=tags]]")
    term.wait_for(r"Stats: ")
    thought_words = server.chat_requests()[-1].served_text.split("</think>")[0].split()
    term.enter("/quit")
    term.close()
    term = _start(terminal, server)
    term.wait_for(r"Loaded previous session \(2 messages")
    term.enter("/think")
    term.wait_for(r"\s+".join(map(re.escape, thought_words[-3:])))
    term.enter("/think 2")
    term.wait_for(r"There is no answer 2 back: the conversation has 1 answer\.")
    term.enter("Second [[tokens=5]]")
    term.wait_for(r"Total: 4 msgs")
    sent = server.chat_requests()[-1].messages
    assert all("</think>" not in str(m["content"]) for m in sent)
    assert all(" ".join(thought_words[2:6]) not in str(m["content"]) for m in sent)
    term.enter("/think")
    term.wait_for(r"The model did not think before the last answer")


def test_an_old_session_with_tags_in_answers_is_cleaned_when_loaded(terminal, server, tmp_path):
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    saved = {
        "version": 1,
        "summary": None,
        "messages": [
            {"role": "user", "content": "old question"},
            {
                "role": "assistant",
                "content": "<think>\nold private musing\n</think>\n\nold answer",
                "meta": {},
            },
        ],
    }
    (data / "session.json").write_text(json.dumps(saved))
    term = _start(terminal, server)
    term.wait_for(r"Loaded previous session")
    assert "<think>" in saved_state(data)["messages"][1]["content"]  # as it was, until a save
    term.enter("/think")
    term.wait_for("old private musing")
    term.enter("new question [[tokens=5]]")
    term.wait_for(r"Stats: ")
    sent = server.chat_requests()[-1].messages
    assert {"role": "assistant", "content": "old answer"} in sent
    assert "musing" not in saved_state(data)["messages"][1]["content"]
    assert "<think>" in (data / "session.json").read_text()  # the old file is left as it was


def test_output_limit_spent_thinking_says_how_to_raise_it(terminal, fresh_requests):
    term = _start(terminal, fresh_requests, "--max-tokens", "60")
    term.enter("Ponder [[think=500]]")
    term.wait_for(r"The model spent all 60 output tokens thinking and gave no answer\.")
    assert "/config set\nMAX_OUTPUT_TOKENS N" in term.text()
    term.wait_for(r"> Ponder \[\[think=500\]\]")  # the message is back in the input
    assert re.search(r"Thought for [\d.]+s \(60 tokens\)\n", term.scrollback())
    assert "/think shows it" not in term.scrollback()


def test_thinking_settings_apply_live_and_reach_the_server(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("/config set THINKING off")
    term.wait_for(r"THINKING")
    term.enter("/config set REASONING_EFFORT high")
    term.wait_for(r"REASONING_EFFORT")
    term.enter("/config set THINKING sometimes")
    term.wait_for(r"expected one of auto, on, off")
    term.enter("Hi [[think=100 tokens=5]]")
    term.wait_for(r"Stats: ")
    body = fresh_requests.chat_requests()[-1].body
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["reasoning_effort"] == "high"
    assert "Thought for" not in term.scrollback()
    term.enter("Again [[strict tokens=5]]")
    term.wait_for(r"/config set REASONING_EFFORT auto")


def test_provisional_text_from_a_plain_model_streams_at_once(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.enter("Plain [[paragraphs=3 rate=100]]")
    term.wait_for(r"Section 1 begins here: tokens")  # shown while it might be thinking
    term.wait_for(r"Stats: ")
    record = fresh_requests.chat_requests()[-1]
    assert "end of section 3." in term.scrollback()
    assert "Thought for" not in term.scrollback()
    assert record.served_text.count("Section 2 begins") == 1
    assert term.scrollback().count("Section 2 begins here") == 1


def test_in_a_narrow_terminal_the_fold_line_leaves_no_thinking_behind(terminal, fresh_requests):
    term = start_repl(terminal, fresh_requests, columns=44, rows=30)
    term.enter("Explain batching [[think=200 rate=300]]")
    term.wait_for(r"Stats:", timeout=30)
    record = fresh_requests.chat_requests()[-1]
    thought_words = set(record.served_reasoning.split())
    answer_words = set(record.served_text.split())
    rows = term.scrollback().splitlines()
    first = next(i for i, row in enumerate(rows) if row.startswith("Thought for"))
    folded = " ".join(row.strip() for row in rows[first : first + 2])
    assert re.search(r"Thought for [\d.]+s \(\d+ tokens\) · /think shows it", folded)
    # The row after the fold line is the answer's (or blank), never leftover thinking.
    after = next(row for row in rows[first + 1 :] if row.strip() and "/think" not in row)
    leftover = set(after.split()) & (thought_words - answer_words)
    assert not leftover, after
