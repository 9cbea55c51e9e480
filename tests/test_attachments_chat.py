"""Attachments through the chat core to the dev server and back: refusals, limits, sessions."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from tests.attachment_files import png_bytes
from tests.chat_harness import ChatHarness
from tests.saved_state import saved_state
from zorac_repl.attachments.images import prepare_image
from zorac_repl.conversation.message import FilePart, ImagePart, UserMessage
from zorac_repl.devserver import DevServer
from zorac_repl.settings.table import Settings


class _WiredChat(ChatHarness):
    """A chat core on the real client, talking to ``server``, saved under ``directory``."""

    def __init__(self, server: DevServer, directory: Path, **settings: object) -> None:
        base = Settings(base_url=server.base_url, model=server.model, system_prompt="S")
        super().__init__(directory, replace(base, **settings))  # type: ignore[arg-type]

    def stage_image(self, name: str = "shot.png", size: tuple[int, int] = (64, 48)) -> ImagePart:
        part = prepare_image(png_bytes(size), name, 1024).part
        self.chat.staged.add([part])
        return part


def _run(chat: _WiredChat, work: Callable[[], Awaitable[None]]) -> None:
    async def run() -> None:
        try:
            await chat.link.detect()
            await work()
        finally:
            await chat.link.close()
            chat.saved.release()

    asyncio.run(run())


def test_vllms_refusal_is_told_remembered_and_keeps_the_image_staged(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server(vision=False, blind_wording="at-most-0")
    wired = _WiredChat(server, tmp_path)

    async def work() -> None:
        wired.stage_image()
        first = await wired.chat.ask("what is this?")
        assert first.draft == "what is this?"
        assert str(first.error).startswith(
            "Qwen/Qwen3-8B reads no images: the server said 'At most 0 image(s) may be "
            "provided in one prompt.'. Nothing was sent: /detach the image"
        )
        assert len(server.chat_requests()) == 1  # sent once: vLLM says nothing beforehand
        assert len(wired.chat.staged) == 1
        assert wired.conversation.messages == []
        second = await wired.chat.ask("what is this?")
        assert len(server.chat_requests()) == 1  # remembered: not sent again
        assert "reads no images (the server refused an image earlier)" in str(second.error)
        wired.chat.staged.clear()
        third = await wired.chat.ask("[[echo]] then just text")
        assert third.is_answered

    _run(wired, work)


def test_too_many_images_names_the_setting_and_fewer_are_then_sent(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server(image_limit=1)
    wired = _WiredChat(server, tmp_path)

    async def work() -> None:
        wired.stage_image("one.png")
        assert (await wired.chat.ask("first")).is_answered
        wired.stage_image("two.png")
        refused = await wired.chat.ask("second")
        assert str(refused.error) == (
            "The server takes at most 1 image in one request, and MAX_IMAGES is 4: "
            "/config set MAX_IMAGES 1, then send again."
        )
        assert len(wired.chat.staged) == 1
        wired.live.use_for_session("MAX_IMAGES", 1)
        assert (await wired.chat.ask("[[images]] second")).is_answered
        last = server.chat_requests()[-1]
        assert len(last.images) == 1
        sent = json.dumps(last.messages, ensure_ascii=False)
        assert "[image one.png, 64×48, shown earlier; not sent again]" in sent

    _run(wired, work)


def test_a_failed_send_keeps_the_draft_and_everything_staged(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    wired = _WiredChat(server, tmp_path)

    async def work() -> None:
        wired.stage_image()
        wired.chat.staged.add([FilePart("notes.md", "remember this", 13)])
        server.inject("status:500")
        failed = await wired.chat.ask("look at these")
        assert failed.error is not None
        assert failed.draft == "look at these"
        assert [p.name for p in wired.chat.staged] == ["shot.png", "notes.md"]
        assert wired.conversation.messages == []
        answered = await wired.chat.ask("[[images]] look at these")
        assert answered.is_answered
        assert len(wired.chat.staged) == 0
        [sent, _] = wired.conversation.messages
        assert isinstance(sent, UserMessage)
        assert [p.name for p in sent.attachments] == ["shot.png", "notes.md"]

    _run(wired, work)


def test_a_saved_session_keeps_image_bytes_apart_and_sends_them_again(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    first = _WiredChat(server, tmp_path)
    staged: list[ImagePart] = []

    async def ask_once() -> None:
        staged.append(first.stage_image(size=(400, 300)))
        assert (await first.chat.ask("[[images]] describe")).is_answered

    _run(first, ask_once)
    image = staged[0]
    saved = json.dumps(saved_state(tmp_path))
    assert "base64" not in saved and len(saved) < 4000
    kept = tmp_path / "images" / image.digest
    assert kept.read_bytes() == image.data
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    sent_first = server.chat_requests()[-1].images[0].data

    again = _WiredChat(server, tmp_path)  # a new run: -c, or /load

    async def retry() -> None:
        [message, _] = again.conversation.messages
        assert isinstance(message, UserMessage)
        assert [p.data for p in message.images] == [None]  # read only when sent
        assert (await again.chat.retry()) is not None
        assert server.chat_requests()[-1].images[0].data == sent_first

    _run(again, retry)


def test_edit_stages_the_attachments_again_and_undo_forgets_them(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    wired = _WiredChat(server, tmp_path)

    async def work() -> None:
        wired.stage_image()
        assert (await wired.chat.ask("first")).is_answered
        assert len(wired.chat.staged) == 0
        assert wired.chat.edit() == "first"
        assert [p.name for p in wired.chat.staged] == ["shot.png"]
        assert (await wired.chat.ask("[[images]] first, edited")).is_answered
        assert len(server.chat_requests()[-1].images) == 1
        assert wired.conversation.image_count() == 1
        wired.conversation.remove_exchanges(1)
        assert wired.conversation.image_count() == 0

    _run(wired, work)
