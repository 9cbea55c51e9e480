"""Whether the server can take ``tools`` for the model, asked where it says (wire-protocol §15.1).

Sending ``tools`` to a server that cannot use them fails loudly (vLLM's 400, Ollama's
400) or silently (llama.cpp without Jinja prints the call as text). So the servers that
say are asked: Ollama's ``/api/show`` capabilities, LM Studio's ``trained_for_tool_use``,
llama.cpp's ``/props`` chat template capabilities where present. vLLM says nothing:
the tools are sent, and its refusal is recognised (``http_errors``) and remembered.
"""

from __future__ import annotations

from zorac_repl.server.discovery import Fetch, ServerKind, list_of, object_of
from zorac_repl.server.vision import Post, Sight

__all__ = ["detect_tool_support"]


async def detect_tool_support(kind: ServerKind, fetch: Fetch, post: Post, model: str) -> Sight:
    """Whether ``model`` on a ``kind`` server takes tools, and where that was read."""
    if kind == "Ollama":
        capabilities = object_of(await post("/api/show", {"model": model})).get("capabilities")
        if isinstance(capabilities, list):
            return "tools" in capabilities, "/api/show capabilities"
    elif kind == "LM Studio":
        for entry in list_of(object_of(await fetch("/api/v1/models")).get("models")):
            entry = object_of(entry)
            if model in (entry.get("key"), entry.get("id")):
                trained = object_of(entry.get("capabilities")).get("trained_for_tool_use")
                if isinstance(trained, bool):
                    return trained, "/api/v1/models trained_for_tool_use"
    elif kind == "llama.cpp":
        caps = object_of(object_of(await fetch("/props")).get("chat_template_caps"))
        supports = caps.get("supports_tools", caps.get("supports_tool_calls"))
        if isinstance(supports, bool):
            return supports, "/props chat_template_caps"
    return None, ""
