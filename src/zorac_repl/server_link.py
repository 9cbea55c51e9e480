"""The link to the server: the client's lifetime, the models it serves, their context length.

The client is made on first use (openai takes about a second to import) and made again
when the base URL, the key or the stall timeout change. The model is the one the user
chose, else the first one the server lists; ``/reconnect`` asks again.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from zorac_repl.config import Settings
from zorac_repl.errors import ServerError, ZoracError
from zorac_repl.live_settings import LiveSettings
from zorac_repl.notice import Notice

if TYPE_CHECKING:
    from zorac_repl.client import ChatClient, ChatRequest, ModelInfo

__all__ = ["ServerLink"]

_CONNECTING = "connecting…"
_UNREACHABLE = "server unreachable"


class ServerLink:
    """The server as the session knows it.

    Args:
        settings: the live settings; the model the server names is written there.

    Attributes:
        status: what the toolbar says about the server: the model, or why there is none.
        model_ids: the server's models, as last listed.
        max_model_len: the chosen model's context length, when the server said.
    """

    def __init__(self, settings: LiveSettings) -> None:
        self._settings = settings
        self._client: ChatClient | None = None
        self.status = _CONNECTING
        self.models: list[ModelInfo] = []
        self.max_model_len: int | None = None

    @property
    def model_ids(self) -> list[str]:
        return [model.id for model in self.models]

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            from zorac_repl.client import ChatClient

            settings = self._settings.current
            self._client = ChatClient(settings.base_url, settings.api_key_now,
                                      settings.stall_timeout, settings.connection())
        return self._client

    def request(self) -> ChatRequest:
        """The request parameters the settings ask for now."""
        from zorac_repl.client import ChatRequest

        settings = self._settings.current
        return ChatRequest(settings.model, settings.temperature, settings.max_output_tokens,
                           settings.thinking, settings.reasoning_effort)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def lost(self) -> None:
        """A request could not reach the server."""
        self.status = _UNREACHABLE

    async def detect(self) -> float:
        """Ask the server for its models; returns the round trip in seconds.

        Raises:
            ZoracError: the server cannot be reached or lists no models.
        """
        started = time.perf_counter()
        models = await self.client.list_models()
        elapsed = time.perf_counter() - started
        base_url = self._settings.current.base_url
        if not models:
            raise ServerError(f"The server at {base_url} lists no models; "
                              "pass --model or set VLLM_MODEL.")
        self.models = models
        wanted = self._settings.current.model
        chosen = next((m for m in models if m.id == wanted), None)
        if not wanted:
            chosen = models[0]
            self._settings.found_on_server("VLLM_MODEL", chosen.id)
        self.max_model_len = chosen.max_model_len if chosen else None
        self.status = self._settings.current.model
        return elapsed

    async def ensure_model(self) -> Notice | None:
        """Make sure a model is known; a line to show when the server cannot tell."""
        if self._settings.current.model:
            return None
        try:
            await self.detect()
        except ZoracError as exc:
            self.lost()
            return Notice(str(exc), "red")
        return None

    async def reconnect(self) -> Notice:
        """A new client, and the model and its context length asked for again."""
        await self.close()
        self._settings.forget_server_value("VLLM_MODEL", "")
        try:
            elapsed = await self.detect()
        except ZoracError as exc:
            self.lost()
            return Notice(str(exc), "red")
        settings = self._settings.current
        length = f", context {self.max_model_len} tokens" if self.max_model_len else ""
        return Notice(f"Connected to {settings.base_url}: model {settings.model}{length} "
                      f"({elapsed * 1000:.0f} ms).", "green")

    async def listing(self) -> Notice:
        """``/model``: the server's models with their context length, the current marked."""
        try:
            await self.detect()
        except ZoracError as exc:
            self.lost()
            return Notice(str(exc), "red")
        current = self._settings.current.model
        width = max(len(model.id) for model in self.models)
        lines = [f"Models at {self._settings.current.base_url}:"]
        for model in self.models:
            mark = "*" if model.id == current else " "
            length = (f"context {model.max_model_len} tokens" if model.max_model_len
                      else "context not given")
            lines.append(f" {mark} {model.id.ljust(width)}  {length}")
        lines.append("/model ID switches.")
        return Notice("\n".join(lines))

    async def switch_model(self, model_id: str) -> Notice:
        """``/model ID``: use another of the server's models from the next message on."""
        try:
            await self.detect()
        except ZoracError as exc:
            self.lost()
            return Notice(f"{exc} The model was not changed.", "red")
        chosen = next((m for m in self.models if m.id == model_id), None)
        if chosen is None:
            return Notice(f"The server has no model {model_id!r}; it serves: "
                          f"{', '.join(self.model_ids)}. The model was not changed.", "red")
        await self._settings.use_for_session("VLLM_MODEL", chosen.id)
        self.max_model_len = chosen.max_model_len
        self.status = chosen.id
        length = (f" (context {chosen.max_model_len} tokens)" if chosen.max_model_len
                  else "")
        return Notice(f"Now talking to {chosen.id}{length}, from the next message on; "
                      "for this run only (VLLM_MODEL in /config makes it stick).", "green")

    async def apply(self, old: Settings, new: Settings) -> None:
        """Settings changed: a new server or timeout needs a new client."""
        if (old.base_url, old.stall_timeout, old.connection(), *_key_sources(old)) != (
                new.base_url, new.stall_timeout, new.connection(), *_key_sources(new)):
            await self.close()
        if (old.base_url, old.api_key) != (new.base_url, new.api_key):
            self.max_model_len = None
            self.models = []
            self._settings.forget_server_value("VLLM_MODEL", "")
            self.status = _CONNECTING
        if old.model != new.model and new.model:
            self.status = new.model


def _key_sources(settings: Settings) -> tuple[str, str, str]:
    return settings.api_key, settings.api_key_file, settings.api_key_command
