"""Whether the model reads images, asked of the server where it can say (wire-protocol §14.2).

The worst a client can do is guess: refusing images for a model that reads them is the
complaint heard most. So each server is asked where it keeps the answer, and where it
keeps none (vLLM) the answer is ``None``: the image is sent, and a refusal (recognised in
``http_errors.images_refused``) teaches the link for the rest of the run.

| server | asked | field |
|---|---|---|
| llama.cpp | ``/v1/models`` card | ``architecture.input_modalities``, ``capabilities`` |
| llama.cpp | ``/props`` | ``modalities.vision`` |
| Ollama | ``POST /api/show`` | ``capabilities`` holds ``vision`` |
| LM Studio | ``/api/v1/models``, ``/api/v0/models`` | ``capabilities.vision``, ``type: vlm`` |
| SGLang | ``/get_model_info`` | ``has_image_understanding`` |
| LiteLLM | ``/v1/model/info`` | ``model_info.supports_vision`` |
| TGI | ``/info`` | ``model_pipeline_tag`` |
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from zorac_repl.server.discovery import Fetch, ServerKind, list_of, object_of

__all__ = ["Post", "Sight", "detect_vision"]

# POST JSON to a path at the server's root: its JSON, or None.
Post = Callable[[str, dict[str, Any]], Awaitable[Any]]
# Whether it sees (None: the server does not say), and where that was read.
Sight = tuple[bool | None, str]


async def detect_vision(
    kind: ServerKind, fetch: Fetch, post: Post, model: str, listing: dict[str, Any]
) -> Sight:
    """Ask the server ``kind`` whether ``model`` reads images; ``listing``: its /v1/models."""
    if kind == "llama.cpp":
        cards = [object_of(c) for c in list_of(listing.get("data"))]
        card = next((c for c in cards if c.get("id") == model), {})
        # llama.cpp lists each model twice: OpenAI's card in "data", Ollama's in "models".
        entry = next(
            (
                object_of(e)
                for e in list_of(listing.get("models"))
                if model in (object_of(e).get("model"), object_of(e).get("name"))
            ),
            {},
        )
        modalities = list_of(object_of(card.get("architecture")).get("input_modalities"))
        if modalities:
            return "image" in modalities, "/v1/models input_modalities"
        capabilities = list_of(card.get("capabilities")) or list_of(entry.get("capabilities"))
        if capabilities:
            return "multimodal" in capabilities, "/v1/models capabilities"
        props = object_of(await fetch(f"/props?model={model}" if len(cards) > 1 else "/props"))
        vision = object_of(props.get("modalities")).get("vision")
        if isinstance(vision, bool):
            return vision, "/props modalities"
    elif kind == "Ollama":
        shown = object_of(await post("/api/show", {"model": model}))
        shown_capabilities = shown.get("capabilities")
        if isinstance(shown_capabilities, list):
            return "vision" in shown_capabilities, "/api/show capabilities"
    elif kind == "LM Studio":
        return await _lm_studio(fetch, model)
    elif kind == "SGLang":
        found = object_of(await fetch("/get_model_info")).get("has_image_understanding")
        if isinstance(found, bool):
            return found, "/get_model_info"
    elif kind == "LiteLLM proxy":
        for entry in list_of(object_of(await fetch("/v1/model/info")).get("data")):
            entry = object_of(entry)
            if entry.get("model_name") == model:
                supports = object_of(entry.get("model_info")).get("supports_vision")
                if isinstance(supports, bool):
                    return supports, "/v1/model/info supports_vision"
    elif kind == "TGI":
        tag = object_of(await fetch("/info")).get("model_pipeline_tag")
        if isinstance(tag, str) and tag:
            return tag in ("image-text-to-text", "visual-question-answering"), "/info"
    return None, ""


async def _lm_studio(fetch: Fetch, model: str) -> Sight:
    current = object_of(await fetch("/api/v1/models"))
    for entry in list_of(current.get("models")):
        entry = object_of(entry)
        if model in (entry.get("key"), entry.get("id")):
            vision = object_of(entry.get("capabilities")).get("vision")
            if isinstance(vision, bool):
                return vision, "/api/v1/models capabilities"
    for entry in list_of(object_of(await fetch("/api/v0/models")).get("data")):
        entry = object_of(entry)
        if entry.get("id") == model and entry.get("type") in ("vlm", "llm"):
            return entry.get("type") == "vlm", "/api/v0/models type"
    return None, ""
