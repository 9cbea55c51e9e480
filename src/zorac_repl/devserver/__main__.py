"""``python -m zorac_repl.devserver --port N``: run the dev server in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from zorac_repl.devserver.flavors import FLAVORS
from zorac_repl.devserver.http_server import DevServer, StreamOptions
from zorac_repl.devserver.streaming import THINK_SHAPES


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m zorac_repl.devserver",
        description="A vLLM-imitating OpenAI-compatible server on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    parser.add_argument("--model", default="Qwen/Qwen3-8B", help="served model name")
    parser.add_argument("--max-model-len", type=int, default=32768, help="context length")
    parser.add_argument(
        "--rate", type=float, default=80.0, help="tokens per second; 0 sends as fast as possible"
    )
    parser.add_argument("--ttft", type=float, default=0.3, help="seconds to the first token")
    parser.add_argument("--chunk-tokens", type=int, default=1, help="tokens per SSE chunk")
    parser.add_argument("--api-key", default="", help="require this Bearer key on /v1")
    parser.add_argument(
        "--flavor",
        default="vllm",
        choices=FLAVORS,
        help="answer discovery as this server does (vLLM by default)",
    )
    parser.add_argument(
        "--think", type=int, default=0, help="tokens the model thinks before each answer"
    )
    parser.add_argument(
        "--think-via",
        default="reasoning",
        choices=THINK_SHAPES,
        help="how the thinking is sent (see the server's module docs)",
    )
    parser.add_argument(
        "--text-only",
        action="store_true",
        help="the model reads no images: refuse them as the flavor's server does",
    )
    parser.add_argument(
        "--image-limit",
        type=int,
        default=None,
        help="most images one request may carry (vLLM's --limit-mm-per-prompt)",
    )
    args = parser.parse_args()
    server = DevServer(
        args.model,
        args.max_model_len,
        StreamOptions(
            args.rate, args.ttft, args.chunk_tokens, think=args.think, via=args.think_via
        ),
        api_key=args.api_key,
        port=args.port,
        flavor=args.flavor,
        vision=not args.text_only,
        image_limit=args.image_limit,
    )

    async def run() -> None:
        listening = await server.serve()
        print(f"zorac dev server on {server.base_url} (model {server.model})", flush=True)
        async with listening:
            await listening.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
