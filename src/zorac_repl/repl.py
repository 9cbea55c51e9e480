"""The interactive front end: a prompt_toolkit session that reads messages and runs turns.

The session owns the input history (in the data directory), the key bindings and the
idle toolbar. While an answer streams, prompt_toolkit is not running: the answer view
owns the bottom of the screen, input echo is off, and Ctrl+C (SIGINT) cancels the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app_or_none, run_in_terminal
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from zorac_repl import __version__
from zorac_repl.commands import dispatch
from zorac_repl.config import Settings
from zorac_repl.conversation import Conversation
from zorac_repl.errors import ZoracError
from zorac_repl.paths import history_file
from zorac_repl.terminal import flushing_writer, quiet_input, terminal_rows

if TYPE_CHECKING:
    from rich.console import Console

    from zorac_repl.client import ChatClient
    from zorac_repl.turn import TurnOutcome

__all__ = ["run_repl"]


@dataclass
class _Session:
    """What lives as long as the REPL does."""

    settings: Settings
    conversation: Conversation
    server_status: str = "connecting…"
    last_stats: str = ""
    _console: Console | None = field(default=None, repr=False)
    _client: ChatClient | None = field(default=None, repr=False)

    @property
    def client(self) -> ChatClient:
        """The API client, imported on first use: it is not needed to show the prompt."""
        if self._client is None:
            from zorac_repl.client import ChatClient

            self._client = ChatClient(self.settings.base_url, self.settings.api_key)
        return self._client

    @property
    def console(self) -> Console:
        """Rich's console, imported on first use: it is not needed to show the prompt."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console


def run_repl(settings: Settings, environ: Mapping[str, str], is_demo: bool = False) -> int:
    """Chat until the user leaves; returns the exit code."""
    return asyncio.run(_chat(settings, environ, is_demo))


def _key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        """Alt+Enter (or Esc, Enter) starts a new line instead of sending."""
        event.current_buffer.insert_text("\n")

    return bindings


def _toolbar(session: _Session) -> str:
    conversation = session.conversation
    context = (f"~{conversation.token_count()}/{session.settings.max_input_tokens} tokens, "
               f"{len(conversation.messages)} msgs")
    parts = [session.settings.model or session.server_status]
    if session.last_stats:
        parts.append(session.last_stats)
    parts.append(context)
    return " " + " | ".join(parts) + " "


async def _chat(settings: Settings, environ: Mapping[str, str], is_demo: bool) -> int:
    path = history_file(environ)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    session = _Session(settings, Conversation())
    prompt: PromptSession[str] = PromptSession(
        history=FileHistory(str(path)), key_bindings=_key_bindings(),
        bottom_toolbar=lambda: _toolbar(session), prompt_continuation="… ")
    where = "the built-in demo server" if is_demo else settings.base_url
    _print_dim(f"zorac-repl {__version__}, talking to {where}. "
               "Type /help for commands, Ctrl+D to leave.")
    # Heavy imports and the server check wait until the prompt is on screen, so they do
    # not delay it: the first after_render event starts them.
    detection: asyncio.Future[None] | None = None

    def start_background(_app: object) -> None:
        nonlocal detection
        prompt.app.after_render -= start_background
        _warm_up(session.client)
        detection = asyncio.ensure_future(_detect_model(session))

    prompt.app.after_render += start_background
    draft = ""
    try:
        while True:
            try:
                text = await prompt.prompt_async("> ", default=draft)
            except KeyboardInterrupt:
                draft = ""
                continue
            except EOFError:
                break
            draft = ""
            if not text.strip():
                continue
            if text.lstrip().startswith("/"):
                result = dispatch(text)
                if result.message:
                    session.console.print(result.message, markup=False,
                                  style="red" if result.is_error else None)
                if result.should_exit:
                    break
                continue
            try:
                draft = await _ask(session, text)
            except Exception as exc:
                # A bug must not end the session or lose the message.
                if os.environ.get("ZORAC_DEBUG"):
                    raise
                session.console.print(f"Unexpected error: {type(exc).__name__}: {exc} "
                                      "(set ZORAC_DEBUG=1 to see the traceback)",
                                      markup=False, style="red")
                session.conversation.rollback_user()
                draft = text
    finally:
        if detection is not None:
            detection.cancel()
        if session._client is not None:
            await session._client.aclose()
    return 0


def _print_dim(text: str) -> None:
    """A status line, written without Rich so the first prompt need not wait for it."""
    dim = "NO_COLOR" not in os.environ and sys.stdout.isatty()
    sys.stdout.write(f"\x1b[2m{text}\x1b[0m\n" if dim else f"{text}\n")
    sys.stdout.flush()


def _warm_up(client: ChatClient) -> None:
    """Load what the first answer needs while the user types (openai takes ~1 s)."""

    def load() -> None:
        import rich.console  # noqa: F401

        from zorac_repl import turn  # noqa: F401
        from zorac_repl.render import answer_view  # noqa: F401

        client.warm_up()

    threading.Thread(target=load, name="zorac-warm-up", daemon=True).start()


async def _detect_model(session: _Session) -> None:
    if session.settings.model:
        session.server_status = session.settings.model
        return
    try:
        info = await session.client.detect_model()
    except ZoracError as exc:
        session.server_status = "server unreachable"
        await _print_above_prompt(session.console, str(exc), "red")
        return
    session.settings = replace(session.settings, model=info.id)
    app = get_app_or_none()
    if app is not None:
        app.invalidate()  # the toolbar shows the model now


async def _print_above_prompt(console: Console, text: str, style: str) -> None:
    def show() -> None:
        console.print(text, markup=False, style=style)

    with contextlib.suppress(Exception):
        await run_in_terminal(show)


async def _ask(session: _Session, text: str) -> str:
    """Run one turn for ``text``; returns the draft to put back in the input."""
    from zorac_repl.client import ChatRequest
    from zorac_repl.render.answer_view import TerminalAnswerView
    from zorac_repl.turn import run_turn

    console = session.console
    if not session.settings.model:
        try:
            session.settings = replace(session.settings,
                                       model=(await session.client.detect_model()).id)
        except ZoracError as exc:
            console.print(str(exc), markup=False, style="red")
            return text
    settings = session.settings
    session.conversation.add_user(text)

    view = TerminalAnswerView(console, flushing_writer(sys.stdout), terminal_rows,
                              settings.code_theme)
    request = ChatRequest(settings.model, settings.temperature, settings.max_output_tokens)
    task = asyncio.ensure_future(run_turn(session.client, session.conversation, request, view,
                                          stream=settings.stream))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        with quiet_input():
            outcome = await task
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    _report(session, outcome)
    return outcome.draft or ""


def _report(session: _Session, outcome: TurnOutcome) -> None:
    from zorac_repl.stats import format_context, format_stats

    console, settings, conversation = session.console, session.settings, session.conversation
    context = format_context(len(conversation.messages), conversation.token_count(),
                             settings.max_input_tokens)
    stats = format_stats(outcome.figures, context)
    figures = outcome.figures
    session.last_stats = f"last: {figures.tokens} tokens, {figures.tokens_per_second:.1f} tok/s"
    if outcome.status == "interrupted":
        console.print(f"Response interrupted. {stats}", markup=False, style="yellow")
    elif outcome.error is not None:
        kept = " The partial answer above was not kept." if outcome.text else ""
        console.print(f"{outcome.error}{kept}", markup=False, style="red")
    else:
        console.print(stats, markup=False, style="dim")
        if outcome.finish_reason == "length":
            console.print(f"The answer stopped at the output limit ({settings.max_output_tokens}"
                          " tokens); raise it with --max-tokens or MAX_OUTPUT_TOKENS.",
                          markup=False, style="yellow")
