"""The dev server as other servers: their ``/v1/models`` and where each keeps its window.

``DevServer(flavor=...)`` (``--flavor``) answers the discovery endpoints the way each server
does (shapes from wire-protocol §6.1 and §8, and each project's API documentation), so
the client's detection is tested row by row:

- ``vllm`` (default): ``max_model_len`` on each card, ``/version``;
- ``sglang``: ``max_model_len``, ``owned_by: sglang``;
- ``llamacpp``: ``meta.n_ctx`` on the card, ``/props`` with ``build_info``;
  ``llamacpp-old``: only ``n_ctx_train`` in ``meta``, the window in ``/props``;
- ``ollama``: no length in ``/v1/models``; ``/api/version``; ``/api/ps`` lists the model
  with its ``context_length`` only once a chat request has loaded it;
- ``lmstudio``: ``/api/v1/models`` with loaded instances (0.4+); ``lmstudio-0.3``:
  ``/api/v0/models`` with ``loaded_context_length``;
- ``tgi``: ``/info`` with ``max_input_tokens``;
- ``litellm``: ``/v1/model/info`` with ``max_input_tokens``; ``litellm-null``: null there.

Each also says whether the model reads images where that server says it (wire-protocol
§14.2): llama.cpp's ``/props`` ``modalities``, Ollama's ``POST /api/show``
``capabilities``, LM Studio's ``capabilities.vision`` or ``type: vlm``, SGLang's
``/get_model_info``, LiteLLM's ``supports_vision`` and TGI's ``model_pipeline_tag``.
"""

from __future__ import annotations

import json
import time
from typing import Any

__all__ = ["FLAVORS", "discovery_body", "models_body_for", "overflow_body", "show_body"]

FLAVORS = (
    "vllm",
    "sglang",
    "llamacpp",
    "llamacpp-old",
    "ollama",
    "lmstudio",
    "lmstudio-0.3",
    "tgi",
    "litellm",
    "litellm-null",
)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def models_body_for(flavor: str, models: dict[str, int], vision: bool = True) -> bytes | None:
    """``GET /v1/models`` as ``flavor`` answers it; ``None``: the vLLM body."""
    created = int(time.time())
    if flavor == "sglang":
        return _dumps(
            {
                "object": "list",
                "data": [
                    {
                        "id": model,
                        "object": "model",
                        "created": created,
                        "owned_by": "sglang",
                        "root": model,
                        "max_model_len": window,
                    }
                    for model, window in models.items()
                ],
            }
        )
    if flavor.startswith("llamacpp"):
        cards = []
        for model, window in models.items():
            meta: dict[str, Any] = {
                "vocab_type": 2,
                "n_vocab": 151936,
                "n_ctx_train": 40960,
                "n_embd": 4096,
                "n_params": 8190735360,
            }
            if flavor == "llamacpp":
                meta["n_ctx"] = window
            cards.append(
                {
                    "id": model,
                    "aliases": [model],
                    "tags": [],
                    "object": "model",
                    "created": created,
                    "owned_by": "llamacpp",
                    "meta": meta,
                }
            )
        return _dumps(
            {
                "models": [_llamacpp_entry(flavor, m, vision) for m in models],
                "object": "list",
                "data": cards,
            }
        )
    owners = {
        "ollama": "library",
        "lmstudio": "organization_owner",
        "lmstudio-0.3": "organization_owner",
        "tgi": "tgi",
        "litellm": "openai",
        "litellm-null": "openai",
    }
    if flavor in owners:
        return _dumps(
            {
                "object": "list",
                "data": [
                    {"id": model, "object": "model", "created": created, "owned_by": owners[flavor]}
                    for model in models
                ],
            }
        )
    return None


def _llamacpp_entry(flavor: str, model: str, vision: bool) -> dict[str, Any]:
    """llama.cpp's Ollama-style listing of a model; current builds say its capabilities
    there (``multimodal`` with an ``--mmproj``), older ones (``llamacpp-old``) do not."""
    entry: dict[str, Any] = {"name": model, "model": model}
    if flavor == "llamacpp":
        entry["capabilities"] = ["completion", "multimodal"] if vision else ["completion"]
    return entry


def show_body(vision: bool, tools: bool = True) -> bytes:
    """Ollama's ``POST /api/show``: the model's capabilities."""
    capabilities = ["completion", "thinking"] + (["tools"] if tools else [])
    capabilities += ["vision"] if vision else []
    return _dumps({"capabilities": capabilities, "details": {"family": "qwen3"}})


def discovery_body(
    flavor: str,
    path: str,
    models: dict[str, int],
    loaded: set[str],
    vision: bool = True,
    tools: bool = True,
) -> bytes | None:
    """A discovery endpoint's JSON as ``flavor`` serves it; ``None``: it has no such path."""
    default = next(iter(models))
    if flavor == "sglang" and path == "/get_model_info":
        return _dumps(
            {"model_path": default, "is_generation": True, "has_image_understanding": vision}
        )
    if flavor == "vllm" and path == "/version":
        return b'{"version":"0.33.0"}'
    if flavor.startswith("llamacpp") and path == "/props":
        props: dict[str, Any] = {
            "default_generation_settings": {"n_ctx": models[default], "n_predict": -1},
            "total_slots": 1,
            "modalities": {"vision": vision, "audio": False},
            "model_path": f"/models/{default}.gguf",
            "build_info": "b6000-1f2e3d4c",
        }
        if flavor == "llamacpp":  # current builds say what the chat template can do
            props["chat_template_caps"] = {"supports_tools": tools, "supports_tool_calls": tools}
        return _dumps(props)
    if flavor == "ollama":
        if path == "/api/version":
            return b'{"version":"0.12.6"}'
        if path == "/api/ps":
            return _dumps(
                {
                    "models": [
                        {
                            "name": model,
                            "model": model,
                            "size": 5_000_000_000,
                            "context_length": models[model],
                        }
                        for model in models
                        if model in loaded
                    ]
                }
            )
    if flavor == "lmstudio" and path == "/api/v1/models":
        return _dumps(
            {
                "models": [
                    {
                        "type": "llm",
                        "key": model,
                        "capabilities": {"vision": vision, "trained_for_tool_use": tools},
                        "display_name": model,
                        "max_context_length": 131072,
                        "loaded_instances": [{"id": model, "config": {"context_length": window}}],
                    }
                    for model, window in models.items()
                ]
            }
        )
    if flavor == "lmstudio-0.3" and path == "/api/v0/models":
        return _dumps(
            {
                "object": "list",
                "data": [
                    {
                        "id": model,
                        "object": "model",
                        "type": "vlm" if vision else "llm",
                        "state": "loaded",
                        "max_context_length": 131072,
                        "loaded_context_length": window,
                    }
                    for model, window in models.items()
                ],
            }
        )
    if flavor == "tgi" and path == "/info":
        return _dumps(
            {
                "model_id": default,
                "max_input_tokens": models[default],
                "max_total_tokens": models[default] + 1024,
                "model_pipeline_tag": "image-text-to-text" if vision else "text-generation",
                "version": "3.3.4",
            }
        )
    if flavor.startswith("litellm") and path == "/v1/model/info":
        return _dumps(
            {
                "data": [
                    {
                        "model_name": model,
                        "litellm_params": {"model": f"hosted_vllm/{model}"},
                        "model_info": {
                            "max_input_tokens": None if flavor == "litellm-null" else window,
                            "supports_vision": vision,
                        },
                    }
                    for model, window in models.items()
                ]
            }
        )
    return None


def overflow_body(flavor: str, window: int, prompt: int) -> tuple[int, bytes] | None:
    """The context-overflow error as ``flavor`` sends it; ``None``: vLLM's."""
    if flavor.startswith("llamacpp"):
        return 400, _dumps(
            {
                "error": {
                    "code": 400,
                    "message": f"request ({prompt} tokens) exceeds the available context "
                    f"size ({window} tokens), try increasing it",
                    "type": "exceed_context_size_error",
                    "n_prompt_tokens": prompt,
                    "n_ctx": window,
                }
            }
        )
    if flavor == "sglang":
        return 400, _dumps(
            {
                "object": "error",
                "message": f"The input ({prompt} tokens) is "
                f"longer than the model's context length ({window} tokens).",
                "type": "BadRequestError",
                "param": None,
                "code": 400,
            }
        )
    return None
