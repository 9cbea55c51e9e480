"""The naive baseline: the openai SDK's stream into ``Live(Markdown(full_text))``, per chunk.

This is what most terminal chat clients do. Usage: ``_naive_client.py BASE_URL PROMPT``.
"""

from __future__ import annotations

import sys

from openai import OpenAI
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown


def main() -> None:
    base_url, prompt = sys.argv[1], sys.argv[2]
    client = OpenAI(base_url=base_url, api_key="EMPTY", max_retries=0)
    console = Console()
    text = ""
    stream = client.chat.completions.create(
        model="Qwen/Qwen3-8B",
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        max_tokens=40000,
    )
    with Live(
        Markdown(""), console=console, auto_refresh=False, vertical_overflow="visible"
    ) as live:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
                live.update(Markdown(text), refresh=True)
    print("Stats: done", file=sys.stderr)


if __name__ == "__main__":
    main()
