"""Whether the server can take ``tools`` for the model, asked where it says (wire-protocol §15.1).

Sending ``tools`` to a server that cannot use them fails loudly (vLLM's 400, Ollama's
400) or silently (llama.cpp without Jinja prints the call as text). So the servers that
say are asked: Ollama's ``/api/show`` capabilities, LM Studio's ``trained_for_tool_use``,
llama.cpp's ``/props`` chat template capabilities where present. vLLM says nothing:
the tools are sent, and its refusal is recognised (``http_errors``) and remembered.
"""

from __future__ import annotations

from typing import Any

from zorac_repl.server.discovery import Fetch, ServerKind
from zorac_repl.server.vision import Post, Sight

__all__ = ["detect_tool_support"]


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


async def detect_tool_support(kind: ServerKind, fetch: Fetch, post: Post, model: str) -> Sight:
    """Whether ``model`` on a ``kind`` server takes tools, and where that was read."""
    if kind == "Ollama":
        capabilities = _dict(await post("/api/show", {"model": model})).get("capabilities")
        if isinstance(capabilities, list):
            return "tools" in capabilities, "/api/show capabilities"
    elif kind == "LM Studio":
        for entry in _list(_dict(await fetch("/api/v1/models")).get("models")):
            entry = _dict(entry)
            if model in (entry.get("key"), entry.get("id")):
                trained = _dict(entry.get("capabilities")).get("trained_for_tool_use")
                if isinstance(trained, bool):
                    return trained, "/api/v1/models trained_for_tool_use"
    elif kind == "llama.cpp":
        caps = _dict(_dict(await fetch("/props")).get("chat_template_caps"))
        supports = caps.get("supports_tools", caps.get("supports_tool_calls"))
        if isinstance(supports, bool):
            return supports, "/props chat_template_caps"
    return None, ""
