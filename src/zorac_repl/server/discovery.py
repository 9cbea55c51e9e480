"""Which server this is, and the context window it really runs the model with.

Only vLLM and SGLang put the window in ``/v1/models``; every other server keeps it
somewhere of its own, and a wrong guess costs dearly: Ollama silently drops the oldest
messages once the prompt passes its loaded ``num_ctx``. The probes are cheap GETs, tried
in an order that stops at the first server that answers to its own (the caller gives
them one short timeout in total):

| server | recognised by | the window in use |
|---|---|---|
| vLLM | ``max_model_len`` in ``/v1/models`` | that (a LoRA card's null: its base model's) |
| SGLang | the same, ``owned_by: sglang`` | ``max_model_len`` |
| llama.cpp | ``owned_by: llamacpp``, ``meta`` | ``meta.n_ctx``, else ``/props`` (per slot) |
| Ollama | ``/api/version`` | ``/api/ps`` → ``context_length`` once the model is loaded |
| LM Studio | ``/api/v1/models`` or ``/api/v0/models`` | the loaded instance's ``context_length`` |
| TGI | ``/info`` | ``max_input_tokens`` (older: ``max_input_length``) |
| LiteLLM | ``/v1/model/info`` | ``model_info.max_input_tokens``, often null for aliases |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Fetch",
    "ModelInfo",
    "ServerInfo",
    "ServerKind",
    "discover",
    "list_of",
    "models_in",
    "object_of",
    "ollama_window",
]

# GET a path at the server's root (``/props``) or under /v1 (``/v1/...``): JSON or None.
Fetch = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model the server serves, and its context length when the server tells it."""

    id: str
    max_model_len: int | None


def models_in(payload: dict[str, Any]) -> list[ModelInfo]:
    """The models of a ``/v1/models`` answer, with the context length where the card says
    (vLLM's ``max_model_len``, llama.cpp's ``meta.n_ctx``); Ollama's ``data`` may be null."""
    models = []
    for card in payload.get("data") or []:
        if not isinstance(card, dict) or not isinstance(card.get("id"), str):
            continue
        meta = card.get("meta")
        length = card.get("max_model_len")
        if not isinstance(length, int) and isinstance(meta, dict):
            length = meta.get("n_ctx")
        models.append(ModelInfo(card["id"], length if isinstance(length, int) else None))
    return models


# The servers told apart (wire-protocol §8); the last is any other OpenAI-compatible one.
ServerKind = Literal[
    "vLLM",
    "SGLang",
    "llama.cpp",
    "Ollama",
    "LM Studio",
    "TGI",
    "LiteLLM proxy",
    "an OpenAI-compatible server",
]


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What was found: the server, its version, the model's window and where it came from.

    Attributes:
        note: something the user should know (a window not known yet, a null in LiteLLM).
    """

    kind: ServerKind
    version: str | None = None
    window: int | None = None
    source: str = ""
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.kind} {self.version}" if self.version else self.kind


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def object_of(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a probe's answer is never
    trusted to have its shape."""
    return value if isinstance(value, dict) else {}


def list_of(value: object) -> list[Any]:
    """``value`` if it is a JSON list, else an empty one."""
    return value if isinstance(value, list) else []


async def discover(fetch: Fetch, models: dict[str, Any], model: str) -> ServerInfo:
    """Recognise the server from its ``/v1/models`` answer ``models`` and a few probes."""
    cards = [object_of(card) for card in list_of(models.get("data"))]
    card = next((c for c in cards if c.get("id") == model), cards[0] if cards else {})
    owned_by = str(card.get("owned_by") or "")
    if "max_model_len" in card and owned_by != "llamacpp":
        window = _int(card.get("max_model_len"))
        if window is None and card.get("parent"):  # a LoRA adapter: its base model's
            base = next((c for c in cards if c.get("id") == card.get("parent")), {})
            window = _int(base.get("max_model_len"))
        if owned_by == "sglang":
            return ServerInfo("SGLang", None, window, "/v1/models")
        version = object_of(await fetch("/version")).get("version")
        return ServerInfo(
            "vLLM", version if isinstance(version, str) else None, window, "/v1/models"
        )
    if owned_by == "llamacpp" or "meta" in card:
        return await _llama_cpp(fetch, card, model, len(cards) > 1)
    version = object_of(await fetch("/api/version")).get("version")
    if isinstance(version, str):
        window = await ollama_window(fetch, model)
        if window is None:
            return ServerInfo(
                "Ollama",
                version,
                None,
                "",
                "the model is not loaded yet, so "
                "its window is read after the first answer (/api/ps)",
            )
        return ServerInfo("Ollama", version, window, "/api/ps")
    found = await _lm_studio(fetch, model)
    if found is not None:
        return found
    info = object_of(await fetch("/info"))
    if "max_total_tokens" in info or "max_input_tokens" in info or "max_input_length" in info:
        window = _int(info.get("max_input_tokens")) or _int(info.get("max_input_length"))
        version = info.get("version")
        return ServerInfo("TGI", version if isinstance(version, str) else None, window, "/info")
    litellm = await fetch("/v1/model/info")
    if isinstance(litellm, dict) and any(
        "model_name" in object_of(entry) for entry in list_of(litellm.get("data"))
    ):
        entry = next(
            (
                object_of(e)
                for e in list_of(litellm.get("data"))
                if object_of(e).get("model_name") == model
            ),
            {},
        )
        window = _int(object_of(entry.get("model_info")).get("max_input_tokens"))
        if window is None:
            return ServerInfo(
                "LiteLLM proxy",
                None,
                None,
                "",
                "LiteLLM's model info has no max_input_tokens for this model: set MAX_INPUT_TOKENS",
            )
        return ServerInfo("LiteLLM proxy", None, window, "/v1/model/info")
    return ServerInfo("an OpenAI-compatible server")


async def _llama_cpp(fetch: Fetch, card: dict[str, Any], model: str, router: bool) -> ServerInfo:
    # A router serves several models: ask /props for this one.
    props = object_of(await fetch(f"/props?model={model}" if router else "/props"))
    build = props.get("build_info")
    version = build.split("-", 1)[0] if isinstance(build, str) and build else None
    window = _int(object_of(card.get("meta")).get("n_ctx"))
    if window is not None:
        return ServerInfo("llama.cpp", version, window, "/v1/models meta.n_ctx")
    window = _int(object_of(props.get("default_generation_settings")).get("n_ctx"))
    return ServerInfo("llama.cpp", version, window, "/props" if window else "")


async def ollama_window(fetch: Fetch, model: str) -> int | None:
    """The window Ollama has the model loaded with (``/api/ps``), if it is loaded."""
    for entry in list_of(object_of(await fetch("/api/ps")).get("models")):
        entry = object_of(entry)
        if model in (entry.get("name"), entry.get("model")):
            return _int(entry.get("context_length"))
    return None


async def _lm_studio(fetch: Fetch, model: str) -> ServerInfo | None:
    current = await fetch("/api/v1/models")
    if isinstance(current, dict) and "models" in current:
        for entry in list_of(current.get("models")):
            entry = object_of(entry)
            if entry.get("key") in (model, None) or entry.get("id") == model:
                for instance in list_of(entry.get("loaded_instances")):
                    window = _int(
                        object_of(object_of(instance).get("config")).get("context_length")
                    )
                    if window:
                        return ServerInfo("LM Studio", None, window, "/api/v1/models")
        return ServerInfo("LM Studio", None, None, "", "the model is not loaded yet")
    older = await fetch("/api/v0/models")
    entries = [object_of(e) for e in list_of(older.get("data"))] if isinstance(older, dict) else []
    # LM Studio's own fields: a server that answers every path with its /v1/models
    # (a catch-all proxy) has a "data" list too.
    if isinstance(older, dict) and any(
        key in entry for entry in entries for key in ("state", "max_context_length", "arch")
    ):
        entry = next(
            (object_of(e) for e in list_of(older.get("data")) if object_of(e).get("id") == model),
            {},
        )
        window = _int(entry.get("loaded_context_length"))
        if window:
            return ServerInfo("LM Studio", None, window, "/api/v0/models")
        window = _int(entry.get("max_context_length"))
        return ServerInfo(
            "LM Studio", None, window, "/api/v0/models (max_context_length)" if window else ""
        )
    return None
