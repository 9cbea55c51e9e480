"""What many tests share: starting the REPL until it is ready, a scripted fake client, and
a scheduler whose time moves by hand.

``ScriptedClient`` stands in for ``ChatClient`` in tests of the chat core's own rules
(budget, summaries, /edit, /retry), like llm's ``MockModel``: answers are queued, and
every request is recorded. Behaviour that crosses the wire is tested against the dev
server through the real ``openai`` client instead.
"""

from __future__ import annotations

import asyncio
import heapq
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from tests.terminal import Terminal
from zorac_repl.devserver import DevServer
from zorac_repl.errors import ConnectionFailed, ZoracError
from zorac_repl.events import ChatEvent, Finished, TextDelta, Usage
from zorac_repl.server.client import ChatClient, ChatRequest, Completion


def start_repl(
    terminal: type[Terminal],
    server: DevServer | None,
    *args: str,
    env: Mapping[str, str] | None = None,
    model: str | None = "",
    columns: int | None = None,
    rows: int | None = None,
) -> Terminal:
    """The installed zorac-repl against ``server``, once its banner and prompt are up.

    Args:
        args: command-line arguments.
        env: more environment (settings) for it.
        model: waited for in the toolbar once the server check is done; the server's own
            model by default; ``None`` waits for the banner only.
        columns, rows: the terminal's size, when not the default.
    """
    environment = dict(env or {})
    if server is not None:
        environment.setdefault("VLLM_BASE_URL", server.base_url)
    size: dict[str, object] = {}
    if columns is not None:
        size["columns"] = columns
    if rows is not None:
        size["rows"] = rows
    term = terminal(*args, env=environment, **size)
    _wait_for_banner(term)
    if model == "" and server is not None:
        model = server.model
    if model:
        term.wait_for(rf"{re.escape(model)} \|")
    return term


def _wait_for_banner(term: Terminal, timeout: float = 15.0) -> None:
    """The banner's end, wherever the terminal wrapped it (mid-word, too)."""
    deadline = time.monotonic() + timeout
    while not re.search(r"Ctrl\+D\s*to\s*leave", term.scrollback().replace("\n", "")):
        assert time.monotonic() < deadline, f"the banner never appeared:\n{term.text()}"
        term.pump(0.05)


@dataclass
class Scripted:
    """One queued answer: its text in pieces, or an error raised after ``pieces``."""

    pieces: Sequence[str]
    error: ZoracError | None = None
    finish: str = "stop"


@dataclass
class ScriptedClient:
    """A ``ChatClient`` whose answers are queued and whose requests are recorded.

    Attributes:
        answers: what the next ``stream`` calls answer, in order.
        summaries: what the next ``complete`` calls (summaries) answer, in order; an
            error is raised.
        requests: the messages of every request, streamed or not, in order.
        window: the context length ``/v1/models`` gives for ``model``.
        unreachable: how many more times ``/v1/models`` fails as a server that is down.
    """

    model: str = "scripted"
    window: int | None = 32768
    answers: list[Scripted] = field(default_factory=list)
    summaries: list[str | ZoracError] = field(default_factory=list)
    requests: list[list[dict[str, str]]] = field(default_factory=list)
    unreachable: int = 0

    def answer(self, *pieces: str, error: ZoracError | None = None, finish: str = "stop") -> None:
        self.answers.append(Scripted(pieces, error, finish))

    async def stream(
        self, messages: Sequence[dict[str, str]], request: ChatRequest
    ) -> AsyncIterator[ChatEvent]:
        self.requests.append([dict(message) for message in messages])
        scripted = self.answers.pop(0)
        for piece in scripted.pieces:
            yield TextDelta(piece)
        if scripted.error is not None:
            raise scripted.error
        yield Usage(100, len(scripted.pieces))
        yield Finished(scripted.finish)

    async def complete(
        self, messages: Sequence[dict[str, str]], request: ChatRequest
    ) -> Completion:
        self.requests.append([dict(message) for message in messages])
        summary = self.summaries.pop(0)
        if isinstance(summary, ZoracError):
            raise summary
        return Completion(summary, "stop", None)

    async def models_payload(self) -> dict[str, object]:
        if self.unreachable > 0:
            self.unreachable -= 1
            raise ConnectionFailed("Cannot reach the scripted server: is vLLM running?")
        card: dict[str, object] = {"id": self.model, "object": "model"}
        if self.window is not None:
            card["max_model_len"] = self.window
        return {"object": "list", "data": [card]}

    async def fetch_json(self, path: str) -> object:
        return None

    async def count_prompt_tokens(
        self, messages: Sequence[dict[str, str]], model: str
    ) -> int | None:
        return None

    def warm_up(self) -> None:
        pass

    async def aclose(self) -> None:
        pass


@dataclass(order=True)
class _Due:
    when: float
    order: int
    callback: Callable[[], object] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)

    def cancel(self) -> None:
        self.cancelled = True


class ManualScheduler:
    """A ``render.scheduler.Scheduler`` whose time moves only when the test says: frames,
    ticks and the resize settle happen at ``advance``, never by sleeping."""

    def __init__(self) -> None:
        self.time = 0.0
        self.sleeping = 0  # coroutines waiting in ``sleep`` now
        self._due: list[_Due] = []
        self._order = 0

    def now(self) -> float:
        return self.time

    def call_later(self, delay: float, callback: Callable[[], object]) -> _Due:
        self._order += 1
        due = _Due(self.time + max(0.0, delay), self._order, callback)
        heapq.heappush(self._due, due)
        return due

    async def sleep(self, delay: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.call_later(delay, lambda: woken.done() or woken.set_result(None))
        self.sleeping += 1
        try:
            await woken
        finally:
            self.sleeping -= 1

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds``, running what falls due, in order."""
        target = self.time + seconds
        while self._due and self._due[0].when <= target:
            due = heapq.heappop(self._due)
            self.time = due.when
            if not due.cancelled:
                due.callback()
        self.time = target


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the event loop run until ``condition`` holds (I/O a test cannot drive itself)."""
    deadline = time.monotonic() + timeout
    await asyncio.sleep(0)  # whatever is ready runs first, even if the state holds already
    while not condition():
        assert time.monotonic() < deadline, "the awaited state never came"
        await asyncio.sleep(0.001)


@asynccontextmanager
async def client_for(server: DevServer | str, api_key: str = "") -> AsyncIterator[ChatClient]:
    """A real ``ChatClient`` for the dev server ``server`` (or a base URL), closed after."""
    client = ChatClient(server if isinstance(server, str) else server.base_url, api_key)
    try:
        yield client
    finally:
        await client.aclose()
