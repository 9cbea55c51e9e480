"""zorac-repl's own stream and Markdown renderer, shown through ``rich.live.Live``.

The same client, SSE parser and ``MarkdownStream`` as zorac-repl; only the live region
differs: finished rows are printed above a ``Live`` whose renderable is the open block's
rows, refreshed at 30 frames a second, as the project brief first proposed. This is the
measured reason zorac-repl draws through its own ``LiveRegion`` (docs/architecture.md).
Usage: ``_live_client.py BASE_URL PROMPT``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from rich.console import Console
from rich.live import Live
from rich.text import Text

from zorac_repl.events import TextDelta
from zorac_repl.render.markdown_stream import MarkdownStream
from zorac_repl.server.client import ChatClient, ChatRequest

_FRAME = 1 / 30


async def main() -> None:
    base_url, prompt = sys.argv[1], sys.argv[2]
    console = Console()
    rows = os.get_terminal_size().lines
    stream = MarkdownStream(console, "monokai", lambda: rows - 2)
    client = ChatClient(base_url, "", 120.0)
    request = ChatRequest("Qwen/Qwen3-8B", 0.1, 40000)
    last_frame = 0.0
    with Live(
        Text(""), console=console, refresh_per_second=30, vertical_overflow="visible"
    ) as live:

        def show(committed: list[str], live_rows: list[str]) -> None:
            if committed:
                live.console.print(Text.from_ansi("\n".join(committed)))
            live.update(Text.from_ansi("\n".join(live_rows)))

        async for event in client.stream([{"role": "user", "content": prompt}], request):
            if isinstance(event, TextDelta):
                stream.feed(event.text)
                now = time.perf_counter()
                if now - last_frame >= _FRAME:
                    last_frame = now
                    show(*stream.update(console.width))
        show(stream.finish(console.width), [])
    await client.aclose()
    print("Stats: done", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
