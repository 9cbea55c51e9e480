"""A huge paste shows as one placeholder and is sent, kept in history and edited in full."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer
from zorac_repl.repl.large_paste import PLACEHOLDER_MIN, PasteStore

# One line of minified JSON, the shape that made the editor slow.
_ITEM = '{"id":%06d,"name":"item","tags":["a","b"],"ok":true},'
_JSON = "[" + "".join(_ITEM % n for n in range(500))  # 26 kB, one line


def _start(terminal: type[Terminal], server: DevServer, **env: str) -> Terminal:
    return start_repl(
        terminal, server, env={"SYSTEM_PROMPT": "S", "MAX_INPUT_TOKENS": "900000", **env}
    )


def _sent(server: DevServer, count: int, term: Terminal) -> str:
    term.wait_count(r"Stats: \d+ tokens|Server error", count, timeout=30)
    return server.chat_requests()[-1].messages[-1]["content"]


def test_a_huge_one_line_paste_is_a_placeholder_and_is_sent_byte_for_byte(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.paste(_JSON + "[[tokens=5]]")
    term.wait_for(re.escape("> [pasted 28 kB, 1 line]"))
    assert '"name":"item"' not in term.text()
    term.enter()
    assert _sent(fresh_requests, 1, term) == _JSON + "[[tokens=5]]"
    history = Path(os.environ["ZORAC_DATA_DIR"]) / "history"
    assert ("+" + _JSON + "[[tokens=5]]") in history.read_text().splitlines()
    assert stat.S_IMODE(history.stat().st_mode) == 0o600


def test_text_around_a_placeholder_is_sent_with_the_paste_in_place(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.type("Summarize this: ")
    term.paste(_JSON)
    term.type(" [[tokens=5]]")
    term.wait_for(re.escape("> Summarize this: [pasted 28 kB, 1 line] [[tokens=5]]"))
    term.enter()
    assert _sent(fresh_requests, 1, term) == f"Summarize this: {_JSON} [[tokens=5]]"


def test_a_paste_that_fails_to_send_comes_back_as_its_placeholder(terminal, fresh_requests):
    term = _start(terminal, fresh_requests)
    term.paste(_JSON + "[[fault=status:500]]")
    term.wait_for(re.escape("> [pasted 28 kB, 1 line]"))
    term.enter()
    term.wait_for(r"Server error \(HTTP 500\)")
    term.wait_count(re.escape("> [pasted 28 kB, 1 line]"), 2)
    assert '"name":"item"' not in term.text()


def test_the_external_editor_gets_the_paste_in_full(terminal, fresh_requests, tmp_path):
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys\npath = sys.argv[1]\ntext = open(path).read()\n"
        "open(path, 'w').write(text.rstrip('\\n') + ' [[tokens=5]]'"
        " + (' FULL' if '\"id\":000499' in text else ' PLACEHOLDER'))\n"
    )
    term = _start(terminal, fresh_requests, EDITOR=f"{os.sys.executable} {editor}", VISUAL="")
    term.paste(_JSON)
    term.wait_for(re.escape("> [pasted 28 kB, 1 line]"))
    term.ctrl("x")
    term.ctrl("e")
    term.wait_for(re.escape("> [pasted 28 kB, 1 line] [[tokens=5]] FULL"))
    term.enter()
    assert _sent(fresh_requests, 1, term) == _JSON + " [[tokens=5]] FULL"


def test_placeholders_are_numbered_and_expand_exactly():
    store = PasteStore()
    first, second = "a" * PLACEHOLDER_MIN, "b\n" * PLACEHOLDER_MIN
    one, two = store.hold(first), store.hold(second)
    assert (one, two) == ("[pasted 20 kB, 1 line]", "[pasted 40 kB, 20001 lines]")
    assert store.hold("c" * PLACEHOLDER_MIN) == "[pasted 20 kB, 1 line #2]"
    assert store.expand(f"x {one} y {two}") == f"x {first} y {second}"
    assert store.collapse(f"x {first} y") == f"x {one} y"
    assert json.dumps(store.expand("[pasted nothing]")) == '"[pasted nothing]"'
