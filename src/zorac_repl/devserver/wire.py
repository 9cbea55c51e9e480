"""The bytes vLLM 0.33 writes: chunk, usage, completion, model-list and error bodies.

Layouts follow wire-protocol §2.4 (era C), §3, §5, §6 and §7 key for key, so a client that
passes against the dev server has seen what a real vLLM sends. Chunks are built from
string templates rather than dicts because at thousands of tokens/s the server must not
be the bottleneck of a benchmark.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

__all__ = ["ChunkWriter", "completion_body", "error_body", "models_body", "sse_event"]

_FINGERPRINT = "vllm-0.33.0-5d1e7a2c"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def sse_event(data: str) -> bytes:
    """One SSE event as vLLM frames it."""
    return f"data: {data}\n\n".encode()


class ChunkWriter:
    """Builds the SSE events of one streamed completion (vLLM 0.33, era C)."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{secrets.token_hex(16)}"
        created = int(time.time())
        self._head = (
            f'{{"id":"{self.id}","object":"chat.completion.chunk","created":{created},'
            f'"model":{_dumps(model)},"choices":'
        )

    @property
    def head(self) -> str:
        """A chunk's JSON up to its ``choices``, for chunks built elsewhere (tool calls)."""
        return self._head

    def role(self) -> bytes:
        return sse_event(
            self._head + '[{"index":0,"delta":{"role":"assistant","content":""},'
            '"logprobs":null,"finish_reason":null}],"prompt_token_ids":null,"prompt_text":null}'
        )

    def content(self, text: str) -> bytes:
        return sse_event(
            self._head + f'[{{"index":0,"delta":{{"content":{_dumps(text)}}},"logprobs":null,'
            '"finish_reason":null,"token_ids":null}],"kv_transfer_params":null}'
        )

    def reasoning(self, text: str, field: str = "reasoning") -> bytes:
        """Thinking in its own field: ``reasoning`` (vLLM ≥ 0.16) or ``reasoning_content``."""
        return sse_event(
            self._head + f'[{{"index":0,"delta":{{"{field}":{_dumps(text)}}},"logprobs":null,'
            '"finish_reason":null,"token_ids":null}],"kv_transfer_params":null}'
        )

    def finish(
        self,
        reason: str,
        text: str = "",
        with_fingerprint: bool = False,
        timings: dict[str, Any] | None = None,
    ) -> bytes:
        # From vLLM 0.22 the fingerprint rides on the finish chunk when no usage chunk follows.
        fingerprint = f',"system_fingerprint":"{_FINGERPRINT}"' if with_fingerprint else ""
        # llama.cpp puts its own speeds on the last chunk (wire-protocol §13).
        extra = f',"timings":{_dumps(timings)}' if timings is not None else ""
        return sse_event(
            self._head + f'[{{"index":0,"delta":{{"content":{_dumps(text)}}},"logprobs":null,'
            f'"finish_reason":"{reason}","stop_reason":null,"token_ids":null,'
            f'"weight_versions":null}}]{fingerprint},"kv_transfer_params":null{extra}}}'
        )

    def usage(
        self, prompt_tokens: int, completion_tokens: int, reasoning_tokens: int | None = None
    ) -> bytes:
        # vLLM ≥ 0.28 with a reasoning parser says how many of them were thinking.
        details = (
            ""
            if reasoning_tokens is None
            else f',"completion_tokens_details":{{"reasoning_tokens":{reasoning_tokens}}}'
        )
        return sse_event(
            self._head + f'[],"usage":{{"prompt_tokens":{prompt_tokens},'
            f'"total_tokens":{prompt_tokens + completion_tokens},'
            f'"completion_tokens":{completion_tokens}{details}}},'
            f'"system_fingerprint":"{_FINGERPRINT}"}}'
        )


def completion_body(
    model: str,
    text: str,
    reason: str,
    prompt_tokens: int,
    completion_tokens: int,
    timings: dict[str, Any] | None = None,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning",
    reasoning_tokens: int | None = None,
) -> bytes:
    """A non-streamed chat completion (wire-protocol §7, vLLM 0.33), its thinking in
    ``reasoning_field`` when a parser split it off."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text,
        "refusal": None,
        "annotations": None,
        "audio": None,
        "function_call": None,
        "reasoning": None,
    }
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }
    body = {
        "id": f"chatcmpl-{secrets.token_hex(16)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": reason,
                "stop_reason": None,
                "token_ids": None,
                "routed_experts": None,
                "weight_versions": None,
            }
        ],
        "service_tier": None,
        "system_fingerprint": _FINGERPRINT,
        "usage": usage,
        "prompt_logprobs": None,
        "prompt_token_ids": None,
        "prompt_text": None,
        "kv_transfer_params": None,
        "ec_transfer_params": None,
        "metrics": None,
    }
    if reasoning is not None:
        message[reasoning_field] = reasoning
    if reasoning_tokens is not None:
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning_tokens}
    if timings is not None:  # llama.cpp's, at the top level of a whole answer
        body["timings"] = timings
    return _dumps(body).encode()


def models_body(models: dict[str, int]) -> bytes:
    """``GET /v1/models`` (wire-protocol §6.1): each served id with its ``max_model_len``."""
    created = int(time.time())
    body = {
        "object": "list",
        "data": [
            {
                "id": model,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": f"/models/{model.rsplit('/', 1)[-1].lower()}",
                "parent": None,
                "max_model_len": max_model_len,
                "permission": [
                    {
                        "id": f"modelperm-{secrets.token_hex(16)}",
                        "object": "model_permission",
                        "created": created,
                        "allow_create_engine": False,
                        "allow_sampling": True,
                        "allow_logprobs": True,
                        "allow_search_indices": False,
                        "allow_view": True,
                        "allow_fine_tuning": False,
                        "organization": "*",
                        "group": None,
                        "is_blocking": False,
                    }
                ],
            }
            for model, max_model_len in models.items()
        ],
    }
    return _dumps(body).encode()


def error_body(message: str, error_type: str, code: int, param: str | None = None) -> bytes:
    """vLLM's nested error body (wire-protocol §5.1, vLLM ≥ 0.10.1)."""
    return _dumps(
        {"error": {"message": message, "type": error_type, "param": param, "code": code}}
    ).encode()
