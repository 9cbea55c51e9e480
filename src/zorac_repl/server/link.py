"""The link to the server: the client's lifetime, the models it serves, their context length.

The client is made on first use (openai takes about a second to import) and made again
when the base URL, the key or the stall timeout change. The model is the one the user
chose, else the first one the server lists; ``/reconnect`` asks again.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from zorac_repl.errors import ConfigError, ServerError, ZoracError
from zorac_repl.server.discovery import ServerInfo, ServerKind, discover, ollama_window
from zorac_repl.server.vision import Sight, detect_vision
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings

if TYPE_CHECKING:
    from zorac_repl.server.client import ChatClient, ChatRequest, ModelInfo

__all__ = ["ServerLink", "Superseded", "UnknownModel"]


class Superseded(ZoracError):
    """The server changed while it was being asked: the answer is for one no longer used."""


class UnknownModel(ConfigError):
    """The server does not serve the model asked for.

    Attributes:
        model_id: the model asked for.
        served: the models it does serve.
    """

    def __init__(self, model_id: str, served: list[str]) -> None:
        super().__init__(f"The server has no model {model_id!r}; it serves: {', '.join(served)}.")
        self.model_id = model_id
        self.served = served


_CONNECTING = "connecting…"
_DISCOVERY_SECONDS = 3.0
_UNREACHABLE = "server unreachable"


class ServerLink:
    """The server as the session knows it.

    Args:
        settings: the live settings; the model the server names is written there.
        make_client: builds the client for the settings in force (a scripted fake in the
            chat core's tests); by default ``ChatClient.from_settings``, imported on use.

    Attributes:
        status: what the toolbar says about the server: the model, or why there is none.
        model_ids: the server's models, as last listed.
        max_model_len: the chosen model's context length, when the server said.
    """

    def __init__(
        self, settings: LiveSettings, make_client: Callable[[Settings], ChatClient] | None = None
    ) -> None:
        self._settings = settings
        self._make_client = make_client
        self._client: ChatClient | None = None
        self.status = _CONNECTING
        # The configured model, when the server's listing leaves it out (``-m nope``).
        self.unlisted: UnknownModel | None = None
        self.models: list[ModelInfo] = []
        self.max_model_len: int | None = None
        self.server: ServerInfo | None = None
        self.seen_kinds: dict[str, str] = {}  # base URL -> the server found there
        self._listing: dict[str, Any] = {}  # the last /v1/models answer
        # (base URL, model) -> whether it reads images, and how that is known; a refusal
        # is remembered for the rest of the run.
        self._sight: dict[tuple[str, str], Sight] = {}
        self._takes_tools: dict[tuple[str, str], Sight] = {}  # the same, for tools

    @property
    def model_ids(self) -> list[str]:
        return [model.id for model in self.models]

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            make_client = self._make_client
            if make_client is None:
                from zorac_repl.server.client import ChatClient

                make_client = ChatClient.from_settings
            self._client = make_client(self._settings.current)
        return self._client

    def request(self) -> ChatRequest:
        """The request parameters the settings ask for now."""
        from zorac_repl.server.client import ChatRequest

        return ChatRequest.from_settings(self._settings.current)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def lost(self) -> None:
        """A request could not reach the server."""
        self.status = _UNREACHABLE

    def answered(self) -> None:
        """The server answered: whatever was said of it being unreachable is over."""
        if self.status == _UNREACHABLE:
            self.status = self._settings.current.model or _CONNECTING

    async def detect(self) -> float:
        """Ask the server for its models; returns the round trip in seconds.

        A failure leaves the toolbar saying the server is unreachable.

        Raises:
            ZoracError: the server cannot be reached or lists no models.
            Superseded: the server changed meanwhile (nothing is marked).
        """
        try:
            return await self._detect()
        except Superseded:
            raise
        except ZoracError:
            self.lost()
            raise

    async def _detect(self) -> float:
        from zorac_repl.server.client import models_in

        client, base_url = self.client, self._settings.current.shown_base_url
        started = time.perf_counter()
        payload = await client.models_payload()
        elapsed = time.perf_counter() - started
        models = models_in(payload)
        if not models:
            raise ServerError(
                f"The server at {base_url} lists no models; pass --model or set VLLM_MODEL."
            )
        wanted = self._settings.current.model
        model = wanted or models[0].id
        served = [found.id for found in models]
        # Some servers take names they do not list (an alias, Ollama's "name" for
        # "name:latest"): said, not refused.
        self.unlisted = UnknownModel(wanted, served) if wanted and wanted not in served else None
        server = await self._discover(payload, model, client)
        self._listing = payload
        if client is not self._client:
            # The server changed meanwhile (/profile, /config set): this answer is stale.
            raise Superseded
        self.models = models
        if not wanted:
            self._settings.found_on_server("VLLM_MODEL", model)
        self.server = server
        self.seen_kinds[base_url] = self.server.name
        self.max_model_len = self.server.window
        self.status = self._settings.current.model
        return elapsed

    async def _discover(
        self, payload: dict[str, Any], model: str, client: ChatClient | None = None
    ) -> ServerInfo:
        """The server's kind and window, within one short timeout for all the probes."""
        fetch = (client or self.client).fetch_json
        try:
            return await asyncio.wait_for(discover(fetch, payload, model), _DISCOVERY_SECONDS)
        except TimeoutError:
            return ServerInfo(
                "an OpenAI-compatible server",
                note=f"it did not say its context window within {_DISCOVERY_SECONDS:g}s",
            )

    async def recheck_window(self) -> int | None:
        """Ollama: the window the model is loaded with now (after an answer, a new model)."""
        if self.server is None or self.server.kind != "Ollama":
            return None
        window = await ollama_window(self.client.fetch_json, self._settings.current.model)
        if window is not None and window != self.max_model_len:
            self.max_model_len = window
            self.server = replace(self.server, window=window, source="/api/ps", note="")
        return window

    def learn_window(self, window: int) -> None:
        """The server said its window in an overflow error: the budget uses it from now."""
        self.max_model_len = window
        if self.server is not None:
            self.server = replace(self.server, window=window, source="its overflow error", note="")

    def described(self) -> str:
        """``llama.cpp b6000 at http://gpu:8080/v1: model qwen3-8b, context 8192 tokens
        (from /props)``."""
        settings = self._settings.current
        server = self.server
        if server is None:
            return f"the server at {settings.shown_base_url}: model {settings.model}"
        if server.window:
            source = f" (from {server.source})" if server.source else ""
            context = f", context {server.window} tokens{source}"
        else:
            context = f"; context window not known: {server.note or 'it did not say'}"
        return f"{server.name} at {settings.shown_base_url}: model {settings.model}{context}"

    async def sight(self) -> Sight:
        """Whether the model reads images, and how that is known: ``VISION`` when it is
        not auto, else what the server said or taught by a refusal, else asked now.

        ``(None, "")``: the server does not say (vLLM); send, and learn from its answer.
        """
        settings = self._settings.current
        if settings.vision != "auto":
            return settings.vision == "yes", f"VISION={settings.vision}"
        listing = self._listing
        return await self._asked(
            self._sight,
            lambda kind, client, model: detect_vision(
                kind, client.fetch_json, client.post_json, model, listing
            ),
        )

    async def tool_support(self) -> Sight:
        """Whether the model takes tools, and how that is known: asked of the server once
        per model, or taught by its refusal; ``(None, "")``: it does not say (vLLM)."""
        from zorac_repl.server.tool_support import detect_tool_support

        return await self._asked(
            self._takes_tools,
            lambda kind, client, model: detect_tool_support(
                kind, client.fetch_json, client.post_json, model
            ),
        )

    async def _asked(
        self,
        known: dict[tuple[str, str], Sight],
        detect: Callable[[ServerKind, ChatClient, str], Awaitable[Sight]],
    ) -> Sight:
        """What the server says of the model in use, asked once per server and model
        within the discovery timeout; not kept while the server is not known yet (the
        server check still runs), so it is asked again later."""
        settings = self._settings.current
        key = (settings.base_url, settings.model)
        if key in known:
            return known[key]
        if self.server is None:
            return None, ""
        found: Sight = (None, "")
        with contextlib.suppress(TimeoutError):
            found = await asyncio.wait_for(
                detect(self.server.kind, self.client, settings.model), _DISCOVERY_SECONDS
            )
        known[key] = found
        return found

    def _learn(self, known: dict[tuple[str, str], Sight], sight: Sight) -> None:
        settings = self._settings.current
        known[(settings.base_url, settings.model)] = sight

    def learn_tool_support(self, takes: bool, how: str) -> None:
        """The server showed whether the model takes tools (it refused them)."""
        self._learn(self._takes_tools, (takes, how))

    def learn_sight(self, sees: bool, how: str) -> None:
        """The server showed whether the model reads images (it refused them)."""
        self._learn(self._sight, (sees, how))

    async def ensure_model(self) -> None:
        """Make sure a model is known, asking the server when none is set.

        Raises:
            ZoracError: the server cannot be reached or names no model.
        """
        if not self._settings.current.model:
            await self.detect()

    async def reconnect(self) -> float:
        """A new client, and the model and its context length asked for again.

        Returns the round trip in seconds.

        Raises:
            ZoracError: the server cannot be reached or lists no models.
        """
        await self.close()
        self._settings.forget_server_value("VLLM_MODEL", "")
        return await self.detect()

    async def list_models(self) -> list[ModelInfo]:
        """The server's models with their context length, asked again.

        Raises:
            ZoracError: the server cannot be reached or lists no models.
        """
        await self.detect()
        return self.models

    async def find_model(self, model_id: str) -> ModelInfo:
        """The server's model ``model_id``, from a fresh listing.

        Raises:
            ZoracError: the server cannot be reached.
            UnknownModel: it does not serve ``model_id``.
        """
        models = await self.list_models()
        chosen = next((model for model in models if model.id == model_id), None)
        if chosen is None:
            raise UnknownModel(model_id, [model.id for model in models])
        return chosen

    async def adopt_model(self, model_id: str) -> None:
        """The model in force changed to ``model_id``: its window is asked for again, the
        way this server tells it."""
        self.server = await self._discover(await self.client.models_payload(), model_id)
        self.max_model_len = self.server.window
        self.status = model_id

    async def apply(self, old: Settings, new: Settings) -> None:
        """Settings changed: a new server or timeout needs a new client."""
        if _client_made_from(old) != _client_made_from(new):
            await self.close()
        if (old.base_url, old.api_key) != (new.base_url, new.api_key):
            self.max_model_len = None
            self.server = None
            self.models = []
            self._settings.forget_server_value("VLLM_MODEL", "")
            self.status = _CONNECTING
        if old.model != new.model and new.model:
            self.status = new.model


def _client_made_from(settings: Settings) -> tuple[object, ...]:
    """What the HTTP client is built from: a change to any of it needs a new client."""
    return (
        settings.base_url,
        settings.stall_timeout,
        settings.connection(),
        settings.max_answer_bytes,
        settings.max_event_bytes,
        settings.max_error_bytes,
        *_key_sources(settings),
    )


def _key_sources(settings: Settings) -> tuple[str, str, str]:
    return settings.api_key, settings.api_key_file, settings.api_key_command
