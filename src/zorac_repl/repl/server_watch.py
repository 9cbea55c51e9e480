"""The server check behind the prompt: the model at start, and a server that comes back.

It runs while the user types. A server that cannot be reached is said once, then asked
again every ``RECHECK_SECONDS`` until it answers; its return is said too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from zorac_repl.errors import ZoracError
from zorac_repl.server.link import ServerLink, Superseded
from zorac_repl.settings.live import LiveSettings
from zorac_repl.tokens import TokenCounter

__all__ = ["RECHECK_SECONDS", "watch_server"]

# How often a server that could not be reached is tried again while the user types.
RECHECK_SECONDS = 5.0


async def watch_server(
    link: ServerLink,
    settings: LiveSettings,
    counter: TokenCounter,
    say: Callable[[str, str], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Find the model, and say how the server is; returns once it has answered.

    Args:
        link: the server.
        settings: the settings in force (its URL and model, for what is said).
        counter: the token counter, whose notice (an encoding it lacks) is said once.
        say: shows a line (text, style) above the prompt.
        sleep: waits between two checks (a hand-driven one in tests).
    """
    reported = False
    while True:
        try:
            await link.detect()
        except Superseded:
            return  # a /profile or /config set switched servers and told the user itself
        except ZoracError as exc:  # the link now says the server is unreachable
            if not reported:
                reported = True
                await say(str(exc), "red")
        else:
            current = settings.current
            if reported:
                await say(
                    f"The server at {current.shown_base_url} is back (model {current.model}).",
                    "green",
                )
            elif link.unlisted is not None:
                await say(
                    f"{link.unlisted} Messages may fail: /model NAME picks one it serves.",
                    "yellow",
                )
            else:
                await say(f"Connected to {link.described()}.", "dim")
            notice = counter.notice()
            if notice:
                await say(notice, "yellow")
            return
        await sleep(RECHECK_SECONDS)
