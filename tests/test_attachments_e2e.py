"""/attach, /detach and -a in the installed REPL, read off the screen as a user sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.attachment_files import png_bytes
from tests.helpers import start_repl
from tests.terminal import Terminal
from zorac_repl.devserver import DevServer


def test_attach_completes_lists_detaches_and_sends(
    terminal: type[Terminal],
    fresh_requests: DevServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("remember the milk\n")
    (tmp_path / "shot.png").write_bytes(png_bytes((64, 48)))
    term = start_repl(terminal, fresh_requests, "-a", "notes.md")
    term.wait_for(r"Staged 1 attachment \(~\d+ tokens\); now staged: 1 file")
    term.wait_for(r"staged: 1 file · ~\d+ tokens")  # the toolbar
    term.type("/attach sh")
    term.child.send("\t")
    term.wait_for(r"/attach shot\.png")
    term.enter()
    term.wait_for(r"shot\.png: 64×48 PNG, \d+ B → 64×48 JPEG, \d+ B, metadata removed")
    term.wait_for(r"staged: 1 file, 1 image · ~\d+ tokens")
    term.enter("/attach")
    term.wait_for(r"Staged for the next message:")
    term.wait_for(r"1\s+notes\.md\s+18 B\s+~\d+")
    term.wait_for(r"2\s+shot\.png\s+64×48, \d+ B\s+~\d+")
    term.enter("/detach 1")
    term.wait_for(r"Unstaged notes\.md; staged now: 1 image")
    term.enter("/detach 5")
    term.wait_for(r"There is no attachment 5: 1 staged \(/attach lists them\)\.")
    fresh_requests.inject("status:500")
    term.enter("[[images]] what is it?")
    term.wait_for(r"Server error \(HTTP 500\)")
    term.wait_for(r"> \[\[images\]\] what is it\?")  # the draft is back
    term.wait_for(r"\| staged: 1 image")  # the toolbar, once redrawn
    term.enter()
    term.wait_for(r"1 image: 64×48 JPEG")
    term.wait_for(r"Stats: ")
    assert len(fresh_requests.chat_requests()[-1].images) == 1
    term.wait_for(r" Qwen/Qwen3-8B \| last: ")  # the toolbar, after the answer
    assert "staged:" not in term.text().splitlines()[-1]


def test_a_text_only_model_is_refused_before_sending_and_the_draft_stays(
    terminal: type[Terminal],
    make_server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server(flavor="llamacpp", vision=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shot.png").write_bytes(png_bytes())
    term = start_repl(terminal, server)
    term.enter("/attach shot.png")
    term.wait_for(r"reads no images \(/v1/models capabilities\): the image will not be sent")
    term.enter("what is this?")
    term.wait_flat(r"Qwen/Qwen3-8B reads no images \(the server says so: /v1/models capabilities\)")
    term.wait_for(r"> what is this\?")
    assert server.chat_requests() == []
    term.wait_for(r"\| staged: 1 image")  # the toolbar, once redrawn


def test_an_image_staged_with_a_at_start_up_is_held_back_for_a_text_only_model(
    terminal: type[Terminal],
    make_server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # -a is read while the server check may still run: what the model sees is asked
    # once the server is known, not guessed before.
    server = make_server(flavor="llamacpp", vision=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shot.png").write_bytes(png_bytes())
    term = start_repl(terminal, server, "-a", "shot.png")
    term.wait_for(r"staged: 1 image")
    term.enter("what is this?")
    term.wait_flat(r"Qwen/Qwen3-8B reads no images \(the server says so: /v1/models capabilities\)")
    assert server.chat_requests() == []
