"""One question, one answer, then exit: ``zorac-repl "q"``, ``echo q | zorac-repl``, or both.

When stdout is not a terminal it receives exactly the model's text as it streams, plus a
final newline when the text lacks one; everything else goes to stderr. This front end
never enters prompt_toolkit's ``patch_stdout`` (it would send stderr to stdout) and
touches a saved conversation only when asked (``-c``, ``--session``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO, cast

from zorac_repl.chat.turn import TurnOutcome, run_turn
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.saved import SavedConversation
from zorac_repl.errors import ConnectionFailed, ServerError, StoreError, ZoracError
from zorac_repl.render.answer_view import AnswerView, TerminalAnswerView
from zorac_repl.render.plain_view import PlainAnswerView
from zorac_repl.render.thought_area import ReasoningMode
from zorac_repl.server.client import ChatClient, ChatRequest
from zorac_repl.settings.table import Settings
from zorac_repl.stats import format_context, format_stats, no_answer_line
from zorac_repl.terminal.screen import flushing_writer, quiet_input, terminal_columns, terminal_rows

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "compose_message",
    "run_oneshot",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_SERVER = 4
EXIT_INTERRUPTED = 130
# As if killed by SIGPIPE (128 + 13), like other Unix tools whose reader went away.
EXIT_PIPE_CLOSED = 141


def compose_message(instruction: str | None, material: str | None) -> str:
    """The argument is the instruction and stdin the material it applies to."""
    parts = [part.strip("\n") for part in (instruction, material) if part and part.strip()]
    return "\n\n".join(parts)


def exit_code_for(error: ZoracError) -> int:
    if isinstance(error, ConnectionFailed):
        return EXIT_CONNECTION
    if isinstance(error, ServerError):
        return EXIT_SERVER
    return EXIT_USAGE


async def run_oneshot(
    settings: Settings,
    message: str,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    session_name: str | None = None,
) -> int:
    """Ask ``message`` once; returns the process exit code.

    With ``session_name`` (``-c``, ``--session``) the question follows that saved
    session's history and the exchange is saved into it.
    """
    from rich.console import Console

    error_console = Console(file=stderr, highlight=False, soft_wrap=True)
    saved = None
    if session_name is not None:
        try:
            saved = _open_session(settings, session_name, error_console)
        except StoreError as exc:
            error_console.print(
                f"zorac-repl: {exc} Leave it first, or ask there.", markup=False, style="red"
            )
            return EXIT_USAGE
    client = ChatClient(
        settings.base_url, settings.api_key_now, settings.stall_timeout, settings.connection()
    )
    outcome: TurnOutcome | None = None
    try:
        if not settings.model:
            settings = replace(settings, model=(await client.detect_model()).id)
        if saved is not None:
            conversation = saved.conversation
        else:
            # One-shot sends no built-in prompt: only one the user gave (-s, SYSTEM_PROMPT).
            conversation = Conversation(system_prompt=settings.system_prompt)
        conversation.add_user(message)
        reader_gone = asyncio.Event()
        request = ChatRequest(
            settings.model,
            settings.temperature,
            settings.max_output_tokens,
            settings.thinking,
            settings.reasoning_effort,
        )
        view: AnswerView
        reasoning = cast(ReasoningMode, settings.reasoning)
        if stdout.isatty():
            console = Console(file=stdout, highlight=False)
            view = TerminalAnswerView(
                console,
                flushing_writer(stdout),
                terminal_rows,
                settings.code_theme,
                columns=terminal_columns,
                reasoning=reasoning,
                thought_hint=" · --show-reasoning shows it",
            )
        else:
            write = flushing_writer(stdout)

            def write_raw(text: str) -> None:
                if reader_gone.is_set():
                    return
                try:
                    write(text)
                except BrokenPipeError:
                    # The reader went away (`| head`): stop the answer, and the server.
                    reader_gone.set()
                    _silence(stdout)
                    task.cancel()

            # The thinking never goes to stdout: only where it was asked for, on stderr.
            view = PlainAnswerView(
                write_raw,
                flushing_writer(stderr) if reasoning == "show" else None,
                thought_is_terminal=stderr.isatty(),
            )
        task = asyncio.ensure_future(
            run_turn(client, conversation, request, view, stream=settings.stream)
        )
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            is_terminal = stdout.isatty() and sys.stdin.isatty()
            with quiet_input() if is_terminal else contextlib.nullcontext():
                outcome = await task
        finally:
            loop.remove_signal_handler(signal.SIGINT)
    except ZoracError as exc:
        error_console.print(f"zorac-repl: {exc}", markup=False, style="red")
        return exit_code_for(exc)
    finally:
        await client.aclose()
        if saved is not None:
            if outcome is not None and outcome.status == "complete":
                error = saved.save()
                if error is not None:
                    error_console.print(f"zorac-repl: {error.text}", markup=False, style="red")
            saved.release()
    if reader_gone.is_set():
        return EXIT_PIPE_CLOSED
    if outcome.status == "interrupted":
        error_console.print("Response interrupted.", markup=False, style="yellow")
        return EXIT_INTERRUPTED
    if outcome.error is not None:
        error_console.print(f"zorac-repl: {outcome.error}", markup=False, style="red")
        return exit_code_for(outcome.error)
    if outcome.status == "unanswered":
        error_console.print(
            f"zorac-repl: {no_answer_line(settings.max_output_tokens)}",
            markup=False,
            style="yellow",
        )
        return EXIT_SERVER
    if stderr.isatty():
        context = format_context(
            len(conversation.messages), conversation.token_count(), settings.max_input_tokens
        )
        error_console.print(format_stats(outcome.figures, context), markup=False, style="dim")
    return EXIT_OK


def _open_session(settings: Settings, name: str, error_console: Console) -> SavedConversation:
    """The saved session ``name``, claimed for this process alone, with its history.

    Raises:
        StoreError: a running zorac-repl has it open.
    """
    import os

    from zorac_repl.chat.system_prompt import default_system_prompt
    from zorac_repl.commands import command_list
    from zorac_repl.paths import data_dir
    from zorac_repl.tokens import TokenCounter

    prompt = settings.system_prompt or default_system_prompt(command_list())
    conversation = Conversation(
        counter=TokenCounter(settings.tiktoken_encoding), system_prompt=prompt
    )
    saved = SavedConversation(conversation, data_dir(os.environ), name)
    for notice in saved.restore(exclusive=True):
        if notice.style != "dim":
            error_console.print(
                f"zorac-repl: {notice.text}", markup=False, style=notice.style or ""
            )
    return saved


def _silence(stream: TextIO) -> None:
    """Point a closed pipe at /dev/null so flushing it at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
