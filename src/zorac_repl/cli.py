"""The command line: read argv, resolve settings once, and start the right front end.

Kept light on purpose: ``--version`` and ``--help`` import nothing heavy, and the
interactive prompt appears before openai (about a second to import) is loaded.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from collections.abc import Sequence

from zorac_repl import __version__
from zorac_repl.errors import ConfigError
from zorac_repl.paths import config_file
from zorac_repl.settings.profiles import read_profiles
from zorac_repl.settings.table import SETTINGS, Settings, load_settings, read_config_file

__all__ = ["main"]

_DESCRIPTION = """\
An inline terminal chat client for self-hosted LLM servers (vLLM, llama.cpp, Ollama,
SGLang, LM Studio, LiteLLM: anything OpenAI-compatible).

  zorac-repl                      chat interactively
  zorac-repl "question"           ask once and exit
  echo "text" | zorac-repl "q"    ask about piped text and exit
  zorac-repl --demo               try it against the built-in demo server
"""

_EPILOG = """\
Exit codes (one-shot mode): 0 success, 2 usage or setting error, 3 cannot reach the
server or the connection broke, 4 the server reported an error, 130 interrupted,
141 the reader closed the pipe.

Settings come from flags, then the server profile in use (-p), then environment
variables, then the config file (saved by /config set; $ZORAC_CONFIG_DIR moves it), then
defaults. NO_COLOR turns colour off. Settings without a flag:
{unflagged}
"""

# Settings a switch sets rather than a flag with a value.
# Piped text past this is refused: more than any model's context, and memory to match.
MAX_STDIN_BYTES = 16 * 1024 * 1024
# Header names that carry a credential, warned about when given as a flag (ps shows them).
_SECRET_HEADER = re.compile(r"auth|key|token|secret|cookie|pass", re.IGNORECASE)

_SWITCHES = {
    "STREAM": "--no-stream",
    "INSECURE": "--insecure",
    "REASONING": "--show-reasoning",
    "TOOLS": "--no-tools",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zorac-repl",
        description=_DESCRIPTION,
        epilog=_EPILOG.format(
            unflagged=textwrap.fill(
                ", ".join(
                    spec.key for spec in SETTINGS if not spec.flag and spec.key not in _SWITCHES
                ),
                width=88,
                initial_indent="  ",
                subsequent_indent="  ",
            )
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("prompt", nargs="*", help="ask this once and exit")
    for spec in SETTINGS:
        if spec.flag:
            names = [spec.short, spec.flag] if spec.short else [spec.flag]
            parser.add_argument(
                *names,
                dest=spec.key,
                metavar=spec.metavar,
                action="append" if spec.key == "HEADERS" else "store",
                help=f"{spec.help} [{' or '.join('$' + e for e in spec.env)}]",
            )
    parser.add_argument(
        "-a",
        "--attach",
        metavar="PATH",
        action="append",
        default=[],
        help="send a file, glob, directory or image with the message (repeat -a for more); "
        "interactively, staged for the first message",
    )
    parser.add_argument(
        "--no-stream",
        action="store_true",
        help="wait for the whole answer instead of streaming it [$STREAM=false]",
    )
    parser.add_argument(
        "--no-tools",
        action="store_true",
        help="offer the model no tools from mcpServers [$TOOLS=false]",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="skip TLS certificate checks (warned at start) [$ZORAC_INSECURE]",
    )
    parser.add_argument(
        "--show-reasoning",
        action="store_true",
        help="show a reasoning model's thinking: dimmed in the terminal, on "
        "stderr in a pipe [$REASONING=show]",
    )
    parser.add_argument(
        "-p",
        "--profile",
        metavar="NAME",
        help="use the server profile NAME from the config file [$ZORAC_PROFILE, default_profile]",
    )
    parser.add_argument(
        "--session",
        metavar="NAME",
        help="continue the saved session NAME (made if new); with a prompt, "
        "the exchange is added to it",
    )
    parser.add_argument(
        "-c",
        "--continue",
        dest="resume",
        action="store_true",
        help="continue the session used last interactively; with a prompt, "
        "the exchange is added to it",
    )
    parser.add_argument(
        "--demo", action="store_true", help="chat with a built-in demo server (no model needed)"
    )
    parser.add_argument("--version", action="version", version=f"zorac-repl {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run zorac-repl; returns the exit code.

    The last line of defence: an error nobody expected is one line, not a traceback,
    unless ``ZORAC_DEBUG`` is set.
    """
    if os.environ.get("ZORAC_DEBUG"):
        _log_to_stderr()
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("ZORAC_DEBUG"):
            raise
        _error(
            f"unexpected error: {type(exc).__name__}: {str(exc)[:200]} "
            "(set ZORAC_DEBUG=1 to see the traceback)"
        )
        return 1


def _error(text: str) -> None:
    """One line on stderr, its control characters shown, not obeyed: it may hold text
    from a server or a file (an escape in a config key, a profile's name)."""
    from zorac_repl.render.safe_text import visible_controls
    from zorac_repl.terminal.screen import wrapped_for

    print(wrapped_for(sys.stderr, visible_controls(f"zorac-repl: {text}")), file=sys.stderr)


def _log_to_stderr() -> None:
    """``ZORAC_DEBUG``: zorac-repl's own log (requests, probes, retries) on stderr."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger("zorac_repl")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)


def _main(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["log"]:
        # The log has its own words; a question that is just "log": zorac-repl -- log.
        from zorac_repl.log_command import run_log

        return run_log(words[1:])
    args = _parser().parse_args(argv)
    if args.prompt or not sys.stdin.isatty() or not sys.stdout.isatty():
        # One-shot asks at once: the SDK loads while settings and stdin are read. The
        # REPL loads it after its first prompt is drawn instead (repl/app.py).
        from zorac_repl.server.client import start_importing_sdk

        start_importing_sdk()
    flags = {
        spec.key: getattr(args, spec.key)
        for spec in SETTINGS
        if spec.flag and getattr(args, spec.key) is not None
    }
    if "HEADERS" in flags:
        flags["HEADERS"] = "\n".join(flags["HEADERS"])
    if args.insecure:
        flags["INSECURE"] = "true"
    if args.no_stream:
        flags["STREAM"] = "false"
    if args.no_tools:
        flags["TOOLS"] = "false"
    if args.show_reasoning:
        flags["REASONING"] = "show"
    path = config_file(os.environ)
    file_values, notices = read_config_file(path)
    profiles, default_profile, problems = read_profiles(path)
    notices += problems
    name = args.profile or os.environ.get("ZORAC_PROFILE") or default_profile
    if name is not None and name not in profiles:
        known = ", ".join(profiles) if profiles else f'none (add "profiles" to {path})'
        _error(f"there is no profile {name!r}; profiles: {known}.")
        return 2
    profile = profiles[name] if name is not None else None
    try:
        settings = load_settings(os.environ, flags, file_values, profile)
    except ConfigError as exc:
        _error(str(exc))
        return 2
    notices += _connection_warnings(settings)
    session_name = _session_name(args)
    if isinstance(session_name, int):
        return session_name
    demo = None
    if args.demo:
        from dataclasses import replace

        from zorac_repl.devserver import DevServer, StreamOptions

        # The demo's model thinks for a second or two, as Qwen3 does behind vLLM's parser.
        demo = DevServer(options=StreamOptions(rate=80.0, ttft=0.3, think=120)).start()
        settings = replace(
            settings,
            base_url=demo.base_url,
            model=demo.model,
            api_key="",
            sources={
                **settings.sources,
                "VLLM_BASE_URL": "demo",
                "VLLM_MODEL": "demo",
                "VLLM_API_KEY": "demo",
            },
        )
    try:
        instruction = " ".join(args.prompt) or None
        if instruction is not None or not sys.stdin.isatty() or not sys.stdout.isatty():
            for notice in notices:
                _error(notice)
            return _run_once(
                settings,
                instruction,
                session_name if args.resume or args.session else None,
                tuple(args.attach),
                name,
            )
        from zorac_repl.repl.app import run_repl

        return run_repl(
            settings,
            os.environ,
            is_demo=demo is not None,
            notices=tuple(notices),
            session_name=session_name,
            flags=flags,
            profile=name,
            attach=tuple(args.attach),
        )
    finally:
        if demo is not None:
            demo.stop()


def _connection_warnings(settings: Settings) -> list[str]:
    """Lines to say once per start about how the server is reached."""
    warnings = []
    if settings.insecure:
        warnings.append(
            "TLS certificate checks are off (--insecure): anyone between here "
            "and the server can read and change the conversation."
        )
    secret_headers = [
        name for name, _ in settings.headers if _SECRET_HEADER.search(name) is not None
    ]
    if settings.source_of("HEADERS") == "flag" and secret_headers:
        warnings.append(
            f"-H {secret_headers[0]} is visible to other users in the process list (ps); "
            "prefer $ZORAC_HEADERS or a profile's headers."
        )
    if settings.source_of("VLLM_API_KEY") == "flag":
        warnings.append(
            "--api-key is visible to other users in the process list (ps); "
            "prefer $VLLM_API_KEY, --api-key-file or API_KEY_COMMAND."
        )
    return warnings


def _session_name(args: argparse.Namespace) -> str | int:
    """The saved session to use, or the exit code of a bad name."""
    from zorac_repl.log.names import DEFAULT_NAME, LAST_USED, check_name

    if args.session is not None:
        problem = check_name(args.session)
        if problem is not None:
            _error(f"--session: {problem}")
            return 2
        return str(args.session)
    if args.resume:
        return LAST_USED
    return DEFAULT_NAME


def _run_once(
    settings: Settings,
    instruction: str | None,
    session_name: str | None,
    attach: tuple[str, ...] = (),
    profile: str | None = None,
) -> int:
    import asyncio

    from zorac_repl.attachments.images import NotAnImage, PreparedImage
    from zorac_repl.attachments.reading import read_image_bytes
    from zorac_repl.oneshot import EXIT_USAGE, compose_message, run_oneshot

    material = None
    image: PreparedImage | None = None
    if not sys.stdin.isatty():
        # One byte past the limit is enough to know: a 1 GB pipe never sits in memory.
        raw = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
        if len(raw) > MAX_STDIN_BYTES:
            _error(
                f"stdin holds more than {MAX_STDIN_BYTES // (1 << 20)} MB, more text than any "
                "model's context takes; pipe a part of it (head -c, grep, sed -n)."
            )
            return EXIT_USAGE
        try:
            # An image on stdin (cat shot.png | zorac-repl "what is this?") is attached.
            image = read_image_bytes(raw, "stdin", settings.image_max_side)
        except NotAnImage as exc:
            _error(f"stdin looks like an image, but {exc}.")
            return EXIT_USAGE
        try:
            material = None if image is not None else raw.decode("utf-8")
        except UnicodeDecodeError:
            _error("stdin is not UTF-8 text; pipe text, not binary data.")
            return EXIT_USAGE
        if material is not None and "\x00" in material:
            _error("stdin holds binary data (NUL bytes); pipe text instead.")
            return EXIT_USAGE
    message = compose_message(instruction, material)
    if not message and not attach and image is None:
        _error("nothing to ask: pass a prompt or pipe text on stdin.")
        return EXIT_USAGE
    try:
        return asyncio.run(
            run_oneshot(
                settings,
                message,
                session_name=session_name,
                attach=attach,
                image=image,
                profile=profile,
            )
        )
    except KeyboardInterrupt:
        return 130
