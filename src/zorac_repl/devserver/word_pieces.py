"""A deterministic stand-in tokenizer: text cut into word-piece tokens, roughly like BPE.

The dev server counts and paces with it; ``"".join(split_tokens(text)) == text`` always.
"""

from __future__ import annotations

import re
import zlib

__all__ = ["chat_prompt_tokens", "split_tokens", "token_id"]

_TOKEN = re.compile(r" ?[^\W\d_]{1,7}| ?\d{1,3}| ?[^\w\s]{1,2}|\n+|[ \t]+(?=[ \t]|$)|\s|.", re.S)


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` into tokens that join back to exactly ``text``."""
    return _TOKEN.findall(text)


def token_id(token: str) -> int:
    """A stable id for a token, in a Qwen-sized vocabulary."""
    return zlib.crc32(token.encode()) % 151_000


def chat_prompt_tokens(messages: list[dict[str, object]]) -> list[str]:
    """The tokens the chat template would make of ``messages``, generation prompt included."""
    # A ChatML-style template: role markers count as prompt tokens, as they do in vLLM.
    tokens: list[str] = []
    for message in messages:
        tokens += ["<|im_start|>", str(message.get("role", "")), "\n"]
        content = message.get("content")
        if isinstance(content, str):
            tokens += split_tokens(content)
        elif isinstance(content, list):  # an image part's tokens are the caller's to add
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    tokens += split_tokens(part["text"])
        tokens.append("<|im_end|>")
    tokens += ["<|im_start|>", "assistant", "\n"]
    return tokens
