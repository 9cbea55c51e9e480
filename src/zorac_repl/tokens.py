"""Counting tokens on this machine, when the server has not counted them.

tiktoken downloads its encoding files on first use; a client that must work with no
internet cannot let it. zorac-repl ships ``cl100k_base`` in ``zorac_repl/data``, checks
it against the SHA-256 that tiktoken itself publishes, and builds the encoding from it.
Any other encoding, or a missing or damaged file, falls back to an estimate of about four
characters per token; ``TokenCounter.notice`` says so once.

A local count is always an approximation of what the server's tokenizer makes of the
chat template, so figures built on it are shown with a ``~``; the server's own counts
(usage, ``/tokenize``) replace them whenever it gives them.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

__all__ = [
    "SHIPPED_ENCODINGS",
    "TokenCounter",
    "content_text",
    "estimate_message_tokens",
    "estimate_tokens",
    "known_encodings",
]

# Role markers and separators a chat template adds around each message, and the
# assistant header that starts the reply.
_PER_MESSAGE = 4
_REPLY_PRIMER = 3

# The hash tiktoken checks when it downloads the file (tiktoken_ext/openai_public.py).
_CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
    r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
SHIPPED_ENCODINGS = ("cl100k_base",)
_COUNT_CACHE_SIZE = 512


def estimate_tokens(text: str) -> int:
    """About how many tokens ``text`` is, at four characters a token."""
    return (len(text) + 3) // 4


def estimate_message_tokens(messages: Iterable[Mapping[str, object]]) -> int:
    """About how many prompt tokens ``messages`` make, template overhead included (the
    text of each; an image part's cost is the caller's to add)."""
    return sum(estimate_tokens(content_text(m.get("content"))) + _PER_MESSAGE for m in messages)


def content_text(content: object) -> str:
    """A wire message's text: the content itself, or its text parts joined."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def known_encodings() -> list[str]:
    """The encoding names tiktoken knows (for validation and completion)."""
    try:
        import tiktoken
    except ImportError:
        return list(SHIPPED_ENCODINGS)
    return sorted(set(tiktoken.list_encoding_names()) | set(SHIPPED_ENCODINGS))


def _load_shipped(name: str) -> tiktoken.Encoding:
    """Build a shipped encoding from the package's data file, without any network call.

    Raises:
        ValueError: the file is missing or does not match tiktoken's published hash.
    """
    import tiktoken

    if name != "cl100k_base":
        raise ValueError(f"{name} is not shipped")
    data = resources.files("zorac_repl").joinpath("data", "cl100k_base.tiktoken").read_bytes()
    if hashlib.sha256(data).hexdigest() != _CL100K_SHA256:
        raise ValueError("the shipped cl100k_base file does not match tiktoken's hash")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in data.splitlines() if line)
    }
    return tiktoken.Encoding(
        name, pat_str=_CL100K_PATTERN, mergeable_ranks=ranks, special_tokens=_CL100K_SPECIAL
    )


class TokenCounter:
    """Counts tokens with a tiktoken encoding, or estimates them when it is unavailable.

    Loading takes a fifth of a second, so it happens on first use or in ``load`` (called
    from a background thread while the user types).

    Args:
        encoding: a tiktoken encoding name, e.g. ``cl100k_base``.
    """

    def __init__(self, encoding: str = "cl100k_base") -> None:
        self.encoding_name = encoding
        self._encoding: tiktoken.Encoding | None = None
        self._failure: str | None = None
        self._loaded = False
        self._lock = threading.Lock()
        self._notice_given = False
        self._counted: dict[str, int] = {}

    def load(self) -> None:
        """Load the encoding now; safe from any thread, and only done once."""
        with self._lock:
            if self._loaded:
                return
            try:
                self._encoding = _load_shipped(self.encoding_name)
            except ValueError as exc:
                self._failure = str(exc)
            except Exception as exc:  # tiktoken missing or broken: counting must go on
                self._failure = f"tiktoken could not load it ({type(exc).__name__})"
            self._loaded = True

    @property
    def ready(self) -> bool:
        """True once loading has been tried: counting no longer blocks."""
        return self._loaded

    @property
    def is_estimate(self) -> bool:
        """True when counts are the four-characters-a-token estimate."""
        self.load()
        return self._encoding is None

    @property
    def method(self) -> str:
        """How counts are made, for ``/tokens``: ``tiktoken cl100k_base`` or the estimate."""
        if self.is_estimate:
            return "estimated at 4 characters per token"
        return f"tiktoken {self.encoding_name}"

    def notice(self) -> str | None:
        """Once, when the encoding is unavailable: a line saying counts are estimates."""
        if not self.is_estimate or self._notice_given:
            return None
        self._notice_given = True
        return (
            f"Token encoding {self.encoding_name} is not available offline "
            f"({self._failure}); token counts are estimates (4 characters per token). "
            f"Shipped: {', '.join(SHIPPED_ENCODINGS)}."
        )

    def count(self, text: str) -> int:
        """Tokens in ``text``.

        Counts are kept: the toolbar recounts the conversation on every redraw, and its
        messages do not change.
        """
        self.load()
        if self._encoding is None:
            return estimate_tokens(text)
        known = self._counted.get(text)
        if known is None:
            encode = self._encoding.encode
            known = sum(len(encode(piece, disallowed_special=())) for piece in _pieces(text))
            if len(self._counted) >= _COUNT_CACHE_SIZE:
                self._counted.pop(next(iter(self._counted)))  # the oldest
            self._counted[text] = known
        return known

    def count_message(self, text: str) -> int:
        """Prompt tokens one message of ``text`` adds, its template included."""
        return self.count(text) + _PER_MESSAGE

    @staticmethod
    def upper_bound(text: str) -> int:
        """At most this many tokens for one message of ``text``, without counting.

        A byte-level BPE token covers at least one byte, so a huge paste that fits the
        budget anyway need not be counted before it is sent.
        """
        return len(text.encode("utf-8", "replace")) + _PER_MESSAGE

    def count_messages(self, messages: Iterable[Mapping[str, object]]) -> int:
        """Prompt tokens for ``messages``: text, template around each, reply header (an
        image part's cost is the caller's to add)."""
        return _REPLY_PRIMER + sum(
            self.count_message(content_text(message.get("content"))) for message in messages
        )


# BPE is superlinear in the length of one unbroken run (a megabyte of base64 or of one
# "word" took seconds): long text is counted in pieces of about this size, cut at a
# space or line end where there is one near, which changes the count by a token a cut
# at most.
_PIECE = 4096
_CUT_ZONE = 256


def _pieces(text: str) -> list[str]:
    if len(text) <= 4 * _PIECE:
        return [text]
    pieces, start = [], 0
    while len(text) - start > _PIECE:
        end = start + _PIECE
        space = max(text.rfind(" ", end - _CUT_ZONE, end), text.rfind("\n", end - _CUT_ZONE, end))
        cut = space if space > start else end
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces
