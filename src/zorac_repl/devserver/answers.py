"""Deterministic, realistic Markdown answers for the dev server.

An answer is built from sections (prose, lists, tables, fenced code in several languages,
quotes) chosen by a seed taken from the prompt, so the same prompt always gets the same
answer, and ``answer_for(prompt, tokens=N)`` grows one to about N tokens.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable

from zorac_repl.devserver.word_pieces import split_tokens

__all__ = ["answer_for", "directed_answer", "parse_directives", "thinking_for"]

_DIRECTIVES = re.compile(r"\[\[([^\[\]]*)\]\]")

_TOPICS = (
    ("KV cache", "the key/value cache that holds attention state for every running request"),
    ("paged attention", "vLLM's way of storing the KV cache in fixed-size blocks"),
    ("continuous batching", "adding and removing requests from a running batch at every step"),
    ("tensor parallelism", "splitting each weight matrix across several GPUs"),
    ("quantization", "storing weights in 8 or 4 bits to save memory and bandwidth"),
    ("speculative decoding", "letting a small draft model propose tokens the big one verifies"),
    ("prefix caching", "reusing the KV cache of a shared prompt prefix across requests"),
    ("chunked prefill", "splitting a long prompt into pieces so decoding is not starved"),
)

_SENTENCES = (
    "In practice, {t} matters most when many users share one GPU.",
    "The effect of {t} shows up clearly in time to first token and in tokens per second.",
    "A common mistake is to tune {t} before measuring where the time actually goes.",
    "Most servers expose {t} as a flag, and the defaults are sensible for a single user.",
    "With {t} enabled, memory use becomes more predictable under load.",
    "You can see {t} at work by watching `nvidia-smi` while a long answer streams.",
    "For a 7B model on a 24 GB card, {t} is usually the difference between 4 and 16 users.",
    "Benchmarks of {t} vary a lot, so measure with your own prompts.",
)


def _title(name: str) -> str:
    return name[0].upper() + name[1:]


def _paragraph(rng: random.Random, topic: tuple[str, str]) -> str:
    name, gist = topic
    first = f"**{_title(name)}** is {gist}."
    rest = [rng.choice(_SENTENCES).format(t=name) for _ in range(rng.randint(2, 4))]
    return " ".join([first, *rest])


def _heading(rng: random.Random, topic: tuple[str, str]) -> str:
    level = rng.choice(("##", "##", "###"))
    return f"{level} {_title(topic[0])}"


def _bullets(rng: random.Random, topic: tuple[str, str]) -> str:
    items = [
        f"- **{_title(rng.choice(_TOPICS)[0])}**: {rng.choice(_SENTENCES).format(t=topic[0])}"
        for _ in range(rng.randint(3, 6))
    ]
    if rng.random() < 0.4:
        items.insert(1, "  - a nested point, with `inline code` and *emphasis*")
    return "\n".join(items)


def _numbered(rng: random.Random, topic: tuple[str, str]) -> str:
    steps = (
        "Install the server with `pip install vllm`.",
        f"Start it: `vllm serve Qwen/Qwen3-8B --max-model-len {rng.choice((8192, 16384, 32768))}`.",
        "Check that `curl localhost:8000/v1/models` lists the model.",
        f"Turn on {topic[0]} and compare the numbers.",
        "Point the client at the server with `--base-url`.",
        "Watch the tokens per second in the toolbar.",
    )
    count = rng.randint(3, len(steps))
    return "\n".join(f"{n}. {step}" for n, step in enumerate(steps[:count], 1))


def _table(rng: random.Random, topic: tuple[str, str]) -> str:
    rows = ["| Setting | Tokens/s | TTFT (ms) | Memory |", "|---|---:|---:|---|"]
    for _ in range(rng.randint(3, 6)):
        rows.append(
            f"| {rng.choice(_TOPICS)[0]} | {rng.randint(20, 2000)} | {rng.randint(40, 900)} "
            f"| {rng.randint(4, 80)} GB |"
        )
    return "\n".join(rows)


def _python(rng: random.Random, topic: tuple[str, str]) -> str:
    rate = rng.randint(20, 200)
    return "\n".join(
        (
            "```python",
            "import time",
            "from openai import OpenAI",
            "",
            'client = OpenAI(base_url="http://localhost:8000/v1", api_key="EMPTY")',
            "",
            "def measure(prompt: str) -> float:",
            f'    """Return tokens per second for one answer about {topic[0]}."""',
            "    start = time.perf_counter()",
            "    tokens = 0",
            "    stream = client.chat.completions.create(",
            '        model="Qwen/Qwen3-8B",',
            '        messages=[{"role": "user", "content": prompt}],',
            "        stream=True,",
            "    )",
            "    for chunk in stream:",
            "        if chunk.choices and chunk.choices[0].delta.content:",
            "            tokens += 1",
            f"    return tokens / (time.perf_counter() - start)  # about {rate} tok/s",
            "```",
        )
    )


def _bash(rng: random.Random, topic: tuple[str, str]) -> str:
    return "\n".join(
        (
            "```bash",
            "# start the server, then ask it something",
            f"vllm serve Qwen/Qwen3-8B --gpu-memory-utilization 0.{rng.randint(80, 95)} &",
            "until curl -sf localhost:8000/health; do sleep 1; done",
            f'echo "Explain {topic[0]} in one paragraph" | zorac-repl',
            "```",
        )
    )


def _json(rng: random.Random, topic: tuple[str, str]) -> str:
    return "\n".join(
        (
            "```json",
            "{",
            '  "model": "Qwen/Qwen3-8B",',
            f'  "temperature": 0.{rng.randint(0, 9)},',
            f'  "max_tokens": {rng.choice((256, 1024, 4000))},',
            '  "stream": true,',
            '  "stream_options": {"include_usage": true}',
            "}",
            "```",
        )
    )


def _quote(rng: random.Random, topic: tuple[str, str]) -> str:
    return f"> **Note:** {rng.choice(_SENTENCES).format(t=topic[0])}\n> Measure before you tune."


_SECTIONS: tuple[Callable[[random.Random, tuple[str, str]], str], ...] = (
    _paragraph,
    _bullets,
    _table,
    _python,
    _numbered,
    _bash,
    _quote,
    _json,
)

_SHORT_TOKENS = 700


def answer_for(prompt: str, tokens: int | None = None) -> str:
    """The answer the dev server gives to ``prompt``.

    Args:
        prompt: the last user message; the same prompt always gets the same answer.
        tokens: about how long the answer should be; by default a few hundred tokens.
    """
    target = tokens if tokens is not None else _SHORT_TOKENS
    rng = random.Random(zlib.crc32(prompt.encode()))
    topic = rng.choice(_TOPICS)
    parts = [f"# {_title(topic[0])}", _paragraph(rng, topic)]
    count = sum(len(split_tokens(part)) for part in parts)
    section = 0
    while count < target:
        topic = rng.choice(_TOPICS) if section % len(_SECTIONS) == 0 else topic
        new = [_SECTIONS[section % len(_SECTIONS)](rng, topic)]
        if section % 3 == 0:
            new.insert(0, _heading(rng, topic))
        parts += new
        count += sum(len(split_tokens(part)) for part in new)
        section += 1
    parts.append("That covers the essentials; ask if you want any part in more depth.")
    return "\n\n".join(parts) + "\n"


_THOUGHTS = (
    "Okay, the user is asking about {t}. Let me recall what I know about it.",
    "Hmm, {t} is {g}, so the answer should start from that.",
    "Wait, maybe they care more about latency than throughput here.",
    "I should mention how {t} shows up in tokens per second.",
    "Let me think about a concrete example with a 7B model on one GPU.",
    "A short code sample would help, and maybe a table of numbers.",
    "I need to keep it practical: what to measure first, then what to change.",
    "Actually, the defaults are fine for a single user, so I'll say that too.",
)


def thinking_for(prompt: str, tokens: int) -> str:
    """What a reasoning model thinks before answering ``prompt``: about ``tokens`` tokens."""
    rng = random.Random(zlib.crc32(prompt.encode()) ^ 0x7417)
    name, gist = rng.choice(_TOPICS)
    sentences: list[str] = []
    count = 0
    while count < tokens:
        sentence = rng.choice(_THOUGHTS).format(t=name, g=gist)
        # R1-style thinking comes in short paragraphs.
        sentences.append(
            ("\n\n" if sentences and rng.random() < 0.3 else " ") + sentence
            if sentences
            else sentence
        )
        count += len(split_tokens(sentences[-1]))
    return "".join(split_tokens("".join(sentences))[:tokens])


# What a confused or malicious model may emit: terminal escapes, bare carriage returns,
# backspaces and text that looks like Rich markup. A client must show all of it as text.
HOSTILE_ANSWER = (
    "Clear: \x1b[2J\x1b[H done.\n\n"
    "Clipboard: \x1b]52;c;cm0gLXJmIH4=\x07 done.\n\n"
    "Title: \x1b]0;pwned\x07 done.\n\n"
    "Link: \x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\ done.\n\n"
    "Overwrite: safe\rEVIL and back\x08\x08\x08\x08 done.\n\n"
    "Markup: [bold]not bold[/bold] [[x=1]] [/] [link=http://a]y[/link] done.\n"
)

# Text that strains layout: zero-width joiners and spaces, right-to-left script, emoji.
UNICODE_ANSWER = (
    "Zero width: a\u200bb\u200cc\u200dd\ufeffe done.\n\n"
    "Right to left: \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 "
    "\u202eevil\u202c done.\n\n"
    "Family: \U0001f468\u200d\U0001f469\u200d\U0001f467 and CJK \u4f60\u597d done.\n"
)


def long_line(length: int) -> str:
    """One line of ``length`` characters with no newline (words, so it can wrap)."""
    words = ("lorem ", "ipsum ", "dolor ", "sit ", "amet ")
    text = "".join(words[i % len(words)] for i in range(length // 4 + 1))
    return text[:length] + "\n"


def plain_paragraphs(count: int) -> str:
    """``count`` paragraphs of plain words (no Markdown syntax), easy to check once shown."""
    words = (
        "streaming",
        "tokens",
        "arrive",
        "steadily",
        "while",
        "the",
        "terminal",
        "renders",
        "each",
        "paragraph",
        "exactly",
        "once",
        "and",
        "never",
        "twice",
    )
    paragraphs = []
    for number in range(1, count + 1):
        body = " ".join(words[(number + i) % len(words)] for i in range(70))
        paragraphs.append(f"Section {number} begins here: {body} end of section {number}.")
    return "\n\n".join(paragraphs) + "\n"


def parse_directives(text: str) -> dict[str, str]:
    """The ``[[key=value flag]]`` directives in a message."""
    found: dict[str, str] = {}
    for group in _DIRECTIVES.findall(text):
        for word in group.split():
            key, _, value = word.partition("=")
            found[key] = value
    return found


def directed_answer(prompt: str, directives: dict[str, str]) -> str:
    """The answer a message's directives ask for: an echo, a hostile or unicode text, plain
    paragraphs, one long line, or a Markdown answer of about ``tokens`` tokens."""
    if "echo" in directives:
        return _DIRECTIVES.sub("", prompt).strip()
    if "hostile" in directives:
        return HOSTILE_ANSWER
    if "unicode" in directives:
        return UNICODE_ANSWER
    if "paragraphs" in directives:
        return plain_paragraphs(int(directives["paragraphs"] or 20))
    if "longline" in directives:
        return long_line(int(directives["longline"] or 100_000))
    length = directives.get("tokens")
    return answer_for(prompt, int(length) if length else None)
