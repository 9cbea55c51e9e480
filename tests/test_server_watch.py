"""The server check behind the prompt, on a scripted client and a hand-driven clock."""

from __future__ import annotations

import asyncio

from tests.helpers import ManualScheduler, ScriptedClient, until
from zorac_repl.repl.server_watch import RECHECK_SECONDS, watch_server
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings
from zorac_repl.tokens import TokenCounter


def test_a_server_that_is_down_is_said_once_and_its_return_is_said(tmp_path):
    client = ScriptedClient(unreachable=2)
    settings = LiveSettings(Settings(base_url="http://gpu:8000/v1"), tmp_path / "c.json", {})
    link = ServerLink(settings, make_client=lambda _: client)
    clock = ManualScheduler()
    said: list[tuple[str, str]] = []

    async def say(text: str, style: str) -> None:
        said.append((text, style))

    async def watch() -> None:
        watcher = asyncio.ensure_future(
            watch_server(link, settings, TokenCounter(), say, sleep=clock.sleep)
        )
        await until(lambda: clock.sleeping == 1)
        assert said == [("Cannot reach the scripted server: is vLLM running?", "red")]
        assert link.status == "server unreachable"
        clock.advance(RECHECK_SECONDS)  # still down: nothing more is said
        await until(lambda: clock.sleeping == 1 and clock.time == RECHECK_SECONDS)
        assert len(said) == 1
        clock.advance(RECHECK_SECONDS)
        await watcher
        assert said[1:] == [("The server at http://gpu:8000/v1 is back (model scripted).", "green")]
        assert link.status == "scripted"

    asyncio.run(watch())


def test_a_configured_model_the_server_does_not_list_is_said_not_connected(tmp_path):
    client = ScriptedClient()
    settings = LiveSettings(Settings(model="nope"), tmp_path / "c.json", {})
    link = ServerLink(settings, make_client=lambda _: client)
    said: list[tuple[str, str]] = []

    async def say(text: str, style: str) -> None:
        said.append((text, style))

    asyncio.run(watch_server(link, settings, TokenCounter(), say))
    assert said == [
        (
            "The server has no model 'nope'; it serves: scripted. Messages may fail: "
            "/model NAME picks one it serves.",
            "yellow",
        )
    ]
