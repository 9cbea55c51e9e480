"""The interactive front end: a prompt_toolkit session that reads messages and runs turns.

The prompt owns the input history (in the data directory), the key bindings, completion
and the idle toolbar. While an answer streams, prompt_toolkit is not running: the answer
view owns the bottom of the screen, input echo is off, and Ctrl+C (SIGINT) cancels the
turn. Everything else (conversation, settings, server) lives in ``ChatParts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application, run_in_terminal
from prompt_toolkit.completion import Completer, DynamicCompleter
from prompt_toolkit.input.vt100 import raw_mode
from prompt_toolkit.key_binding import KeyPress

from zorac_repl import __version__
from zorac_repl.commands.base import CommandResult
from zorac_repl.errors import StoreError, ZoracError
from zorac_repl.paths import config_file, data_dir, history_file
from zorac_repl.render.printer import Printer
from zorac_repl.repl.front_end import TerminalFrontEnd
from zorac_repl.repl.input_history import InputHistory
from zorac_repl.repl.key_bindings import SecretMasker, key_bindings, open_editor_at_next_prompt
from zorac_repl.repl.large_paste import PasteStore
from zorac_repl.repl.status_line import print_styled
from zorac_repl.repl.tall_input import keep_tall_inputs_whole, write_input
from zorac_repl.repl.toolbar import toolbar_text
from zorac_repl.settings.table import Settings
from zorac_repl.terminal.keyboard import KeyReader
from zorac_repl.terminal.paste_parser import LinearPasteInput
from zorac_repl.terminal.screen import flushing_writer

if TYPE_CHECKING:
    from zorac_repl.chat.parts import ChatParts
    from zorac_repl.server.client import ChatClient

__all__ = ["run_repl"]


def run_repl(
    settings: Settings,
    environ: Mapping[str, str],
    is_demo: bool = False,
    notices: tuple[str, ...] = (),
    session_name: str = "default",
    flags: Mapping[str, str] | None = None,
    profile: str | None = None,
    attach: tuple[str, ...] = (),
) -> int:
    """Chat until the user leaves; returns the exit code.

    ``flags`` and ``profile`` are kept so that ``/profile`` can resolve settings again;
    ``attach`` (``-a``) is staged for the first message.
    """
    return asyncio.run(
        _chat(settings, environ, is_demo, notices, session_name, dict(flags or {}), profile, attach)
    )


async def _chat(
    settings: Settings,
    environ: Mapping[str, str],
    is_demo: bool,
    notices: tuple[str, ...],
    session_name: str,
    flags: dict[str, str],
    profile: str | None,
    attach: tuple[str, ...] = (),
) -> int:
    pastes = PasteStore()
    history = InputHistory(history_file(environ), pastes)
    history.prepare()
    keys = KeyReader(sys.stdin.fileno(), flushing_writer(sys.stdout))
    printer = Printer()
    front = TerminalFrontEnd(printer, keys, environ)
    loop = asyncio.get_running_loop()
    # The chat parts (and the chat core, the server and the saved session behind them) are
    # made once the first prompt is on screen, so drawing it never waits for their imports.
    ready: asyncio.Future[ChatParts] = loop.create_future()
    completer: list[Completer | None] = [None]
    prompt: PromptSession[str] = PromptSession(
        input=LinearPasteInput(sys.stdin),
        enable_suspend=True,  # Ctrl+Z stops the REPL like any shell program; fg resumes
        history=history,
        key_bindings=key_bindings(pastes),
        bottom_toolbar=lambda: toolbar_text(ready.result() if ready.done() else None, front),
        prompt_continuation="… ",
        completer=DynamicCompleter(lambda: completer[0]),
        complete_while_typing=False,
        input_processors=[SecretMasker()],
    )
    keep_tall_inputs_whole(prompt)
    where = "the built-in demo server" if is_demo else settings.shown_base_url
    named = f" Session {session_name!r}." if session_name not in ("default", "") else ""
    print_styled(
        f"zorac-repl {__version__}, talking to {where}.{named} "
        "Type /help for commands, Ctrl+D to leave."
    )
    for notice in notices:
        print_styled(notice, "yellow")
    watcher: asyncio.Future[None] | None = None
    # -a, staged while the first prompt waits; a message sent meanwhile waits for it.
    staging: list[asyncio.Future[None]] = []
    terminated = 0  # the signal that ends the REPL: SIGTERM, or SIGHUP (the terminal went)

    def start_background(_app: object) -> None:
        nonlocal watcher
        prompt.app.after_render -= start_background
        from zorac_repl.chat.parts import ChatParts
        from zorac_repl.commands.registry import command_list
        from zorac_repl.commands.wording import restored_lines
        from zorac_repl.repl.completion import CommandCompleter, completion_sources

        session = ChatParts(
            settings,
            data_dir(environ),
            config_file(environ),
            environ,
            printer,
            front,
            command_list(),
            keys,
            session_name,
            profile,
        )
        session.settings.remember_start(flags, profile)
        completer[0] = CommandCompleter(completion_sources(session))
        try:
            restored = restored_lines(session.saved.restore())
        except StoreError as exc:
            from zorac_repl.chat.exchange_log import without_the_log

            session.saved.paused = True
            restored = [(without_the_log(exc), "red")]
        ready.set_result(session)
        if terminated:
            session.runner.terminate()
        # Heavy imports (openai, Rich) load on a thread while the user types.
        _warm_up(session)
        watcher = asyncio.ensure_future(_watch_server(session, restored, prompt.app))
        if attach:
            staging.append(asyncio.ensure_future(_stage_at_start(session, attach, prompt.app)))

    prompt.app.after_render += start_background

    def on_terminate(signum: int) -> None:
        nonlocal terminated
        terminated = signum
        if ready.done():
            ready.result().runner.terminate()
        if prompt.app.is_running:
            prompt.app.exit(exception=EOFError())

    for signum in _ENDING_SIGNALS:
        loop.add_signal_handler(signum, on_terminate, signum)
    try:
        # Raw mode from the first prompt to the last: between two prompts no key is
        # echoed over an answer or eaten by the terminal's line editing (see keyboard.py).
        with raw_mode(sys.stdin.fileno()):
            await _read_and_run(prompt, ready, keys, pastes, staging)
    finally:
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            # Bracketed paste, kept on while an answer streamed; the cursor, shown.
            sys.stdout.write("\x1b[?2004l\x1b[?25h")
            sys.stdout.flush()
        for signum in _ENDING_SIGNALS:
            loop.remove_signal_handler(signum)
        if watcher is not None:
            watcher.cancel()
        if ready.done():
            session = ready.result()
            if terminated:
                # Complete turns are saved as they finish; this catches anything since.
                try:
                    session.saved.save()
                except StoreError as exc:
                    from zorac_repl.chat.core import save_failed

                    with contextlib.suppress(OSError):
                        print_styled(save_failed(exc), "red")
                else:
                    with contextlib.suppress(OSError):
                        print_styled(_ENDED_BY[terminated], "dim")
            await session.close()
    # As a shell reports a process killed by the signal: 143 for SIGTERM, 129 for SIGHUP.
    return 128 + terminated if terminated else 0


_ENDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_ENDED_BY: dict[int, str] = {
    signal.SIGTERM: "Terminated; the conversation is saved.",
    signal.SIGHUP: "The terminal hung up; the conversation is saved.",
}


def _say_problems(history: object) -> None:
    """The input history's problems (a full disk), each said once."""
    problems = history.problems if isinstance(history, InputHistory) else []
    while problems:
        print_styled(problems.pop(0), "yellow")


async def _above_prompt(show: Callable[[], object], app: Application[str]) -> None:
    """Run ``show`` above the prompt of ``app``, which is then drawn again.

    While an answer streams there is no prompt: the line waits for the next one, so it
    never lands inside the answer's live region.
    """
    while not app.is_running:
        await asyncio.sleep(0.02)
    # The terminal may be gone (a closed window): nothing can be said then.
    with contextlib.suppress(OSError):
        await run_in_terminal(show)


async def _read_and_run(
    prompt: PromptSession[str],
    ready: asyncio.Future[ChatParts],
    keys: KeyReader,
    pastes: PasteStore,
    staging: list[asyncio.Future[None]] | None = None,
) -> None:
    """Read a line, run it, and again, until the user leaves or SIGTERM comes; nothing
    runs before ``staging`` (``-a``) is done."""
    from zorac_repl.commands.registry import is_command, message_text

    draft = ""
    history = prompt.history
    while not (ready.done() and ready.result().runner.terminating):
        _say_problems(history)
        _type_ahead(prompt, keys.take())
        try:
            text = await prompt.prompt_async("> ", default=pastes.collapse(draft))
        except KeyboardInterrupt:
            prompt.app.erase_when_done = False
            draft = ""
            continue
        except EOFError:
            break
        if prompt.app.erase_when_done:  # too tall for the screen: it goes to scrollback whole
            prompt.app.erase_when_done = False
            write_input(text)
        _say_problems(history)
        text = pastes.expand(text)
        draft = ""
        if not text.strip():
            continue
        session = await ready  # made as the first prompt was drawn
        if staging:
            await asyncio.gather(*staging)
        command = is_command(text)
        try:
            if command:
                result = await _run_command(session, text)
                if result.should_exit:
                    break
                draft = result.draft
                if result.open_editor:
                    open_editor_at_next_prompt(prompt, pastes)
                continue
            draft = (await session.chat.ask(message_text(text))).draft
        except ZoracError as exc:
            # An error no part worded itself: one line, and the message comes back. Any
            # other exception is a bug: cli.main says it in one line (the message is in
            # the input history, and every complete answer was saved).
            session.printer.say(str(exc), "red")
            if not command:
                session.conversation.rollback_user()
                draft = text


async def _run_command(session: ChatParts, text: str) -> CommandResult:
    """Run a command, asking first when it wants confirmation; show what it says."""
    from zorac_repl.commands.registry import dispatch

    result = await dispatch(session, text)
    if result.confirm and result.confirmed is not None:
        from prompt_toolkit.shortcuts import create_confirm_session

        try:
            yes = await create_confirm_session(result.confirm).prompt_async()
        except (KeyboardInterrupt, EOFError):
            yes = False
        result = (
            await result.confirmed() if yes else CommandResult("Nothing was changed.", style="dim")
        )
    if result.terminal:
        sys.stdout.write(result.terminal)
        sys.stdout.flush()
    if result.message:
        session.printer.say(result.message, result.style)
    if result.markdown:
        session.printer.markdown(result.markdown)
    for table in result.tables:
        session.printer.table(table.rows, table.heading, table.footer, table.cut)
    return result


def _warm_up(session: ChatParts) -> None:
    """Load what the first answer needs while the user types (openai takes ~1 s)."""
    client: ChatClient = session.link.client
    counter = session.conversation.counter

    def load() -> None:
        import rich.console  # noqa: F401

        from zorac_repl.chat import turn  # noqa: F401
        from zorac_repl.render import answer_view  # noqa: F401

        counter.load()
        # A key command or CA file that fails is told, in one line, by the first request.
        with contextlib.suppress(ZoracError):
            client.warm_up()

    threading.Thread(target=load, name="zorac-warm-up", daemon=True).start()


def _type_ahead(prompt: PromptSession[str], typed: list[KeyPress]) -> None:
    """Keys typed during an answer that the session read: the next prompt gets them first."""
    if typed:
        from prompt_toolkit.input.typeahead import store_typeahead

        store_typeahead(prompt.input, typed)


async def _stage_at_start(
    session: ChatParts, names: tuple[str, ...], app: Application[str]
) -> None:
    """``-a``: stage for the first message, and say how it went above the prompt."""
    from zorac_repl.commands.attachments import stage

    result = await stage(session, list(names), spinner=False)
    await _above_prompt(lambda: session.printer.say(result.message, result.style or ""), app)
    if app.is_running:
        app.invalidate()  # the toolbar shows what is staged


async def _watch_server(
    session: ChatParts, restored: list[tuple[str, str]], app: Application[str]
) -> None:
    """What the restore said, then the server check, above the prompt; the toolbar follows."""
    from zorac_repl.repl.server_watch import watch_server

    def say_restored() -> None:
        # Said without Rich, which the warm-up thread may still be loading.
        for text, style in restored:
            print_styled(text, style)

    if restored:
        await _above_prompt(say_restored, app)

    async def say(text: str, style: str) -> None:
        await _above_prompt(lambda: session.printer.say(text, style), app)

    await watch_server(session.link, session.settings, session.conversation.counter, say)
    if app.is_running:
        app.invalidate()  # the toolbar shows the model now
