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
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from zorac_repl.attachments.images import PreparedImage
from zorac_repl.attachments.reading import TooMuch, read_paths
from zorac_repl.chat.budget import Budget
from zorac_repl.chat.core import Asked, Chat
from zorac_repl.chat.runner import Runner
from zorac_repl.chat.system_prompt import system_prompt_for
from zorac_repl.conversation.history import Conversation
from zorac_repl.errors import ConnectionFailed, ServerError, StoreError, TooLarge, ZoracError
from zorac_repl.log.saved import SavedConversation, SessionInUse
from zorac_repl.log.store import LogStore
from zorac_repl.paths import config_file, log_file
from zorac_repl.render.answer_view import AnswerView, TerminalAnswerView
from zorac_repl.render.plain_view import PlainAnswerView
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import LiveSettings
from zorac_repl.settings.table import Settings
from zorac_repl.stats import cut_off_line, no_answer_line
from zorac_repl.terminal.screen import flushing_writer, quiet_input, terminal_columns, terminal_rows
from zorac_repl.tokens import TokenCounter
from zorac_repl.tools.config import servers_from_file
from zorac_repl.tools.toolbox import ToolBox

if TYPE_CHECKING:
    from zorac_repl.chat.tool_use import Decision
    from zorac_repl.conversation.message import ToolMessage
    from zorac_repl.tools.servers import ToolInfo

__all__ = [
    "EXIT_CONNECTION",
    "EXIT_CUT_OFF",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE_CLOSED",
    "EXIT_SERVER",
    "EXIT_TOO_LARGE",
    "EXIT_USAGE",
    "compose_message",
    "run_oneshot",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONNECTION = 3
EXIT_SERVER = 4
EXIT_TOO_LARGE = 5
# The answer is all there was room for: the output limit (MAX_OUTPUT_TOKENS) cut it off.
EXIT_CUT_OFF = 6
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
    if isinstance(error, TooLarge):
        return EXIT_TOO_LARGE
    if isinstance(error, ServerError):
        return EXIT_SERVER
    return EXIT_USAGE


async def run_oneshot(
    settings: Settings,
    message: str,
    stdout: TextIO = sys.stdout,
    stderr: TextIO = sys.stderr,
    session_name: str | None = None,
    environ: Mapping[str, str] = os.environ,
    attach: Sequence[str] = (),
    image: PreparedImage | None = None,
    profile: str | None = None,
) -> int:
    """Ask ``message`` once, through the same chat core as the REPL; returns the exit code.

    ``attach`` (``-a``) names files, globs and directories to send with it, and ``image``
    is an image that came on stdin; a named file that cannot be sent stops it (exit 2).

    With ``session_name`` (``-c``, ``--session``) the question follows that saved
    session's history (summarized first when it would not fit, as in the REPL) and the
    exchange is saved into it.
    """
    from rich.console import Console

    # On a terminal, lines wrap at words; into a file or a pipe, each stays one line.
    printer = Printer(Console(file=stderr, highlight=False, soft_wrap=not stderr.isatty()))
    live = LiveSettings(settings, config_file(environ), environ)
    commands = None  # one-shot sends no built-in prompt, unless it continues a session
    if session_name is not None:
        from zorac_repl.commands.registry import command_list

        commands = command_list()
    conversation = Conversation(
        counter=TokenCounter(settings.tiktoken_encoding),
        system_prompt=system_prompt_for(settings.system_prompt, commands),
    )
    log = LogStore(log_file(environ))
    saved = None
    if session_name is not None:
        saved = SavedConversation(conversation, log, session_name)
        try:
            _restore(saved, printer)
        except StoreError as exc:
            printer.say(f"zorac-repl: {exc} Leave it first, or ask there.", "red")
            return EXIT_USAGE
    link = ServerLink(live)
    runner = Runner(printer)
    front = _PipeFrontEnd(printer, stdout, stderr, runner)
    specs, notes = servers_from_file(config_file(environ), profile)
    for note in notes:
        printer.say(f"zorac-repl: {note}", "yellow")
    tools = ToolBox(specs, environ)
    chat = Chat(
        live,
        link,
        Budget(live, link, conversation),
        conversation,
        saved,
        printer,
        runner,
        front,
        tools,
        log,
    )
    try:
        refused = await _stage(chat, runner, printer, settings, attach, image)
        if refused:
            return EXIT_USAGE
        problem = await _detect(link, settings)
        if problem is not None:
            printer.say(f"zorac-repl: {problem}", "red")
            return exit_code_for(problem)
        is_terminal = stdout.isatty() and sys.stdin.isatty()
        with quiet_input() if is_terminal else contextlib.nullcontext():
            asked = await chat.ask(message)
    finally:
        await tools.close()
        await link.close()
        if saved is not None:
            saved.release()
        log.close()
    return front.exit_code(asked)


async def _stage(
    chat: Chat,
    runner: Runner,
    printer: Printer,
    settings: Settings,
    attach: Sequence[str],
    image: PreparedImage | None,
) -> bool:
    """Stage ``-a`` and a stdin image; returns whether something named was refused (said)."""
    from zorac_repl.commands.attachments import image_line, limits_of

    if image is not None:
        chat.staged.add([image.part])
        printer.say(image_line(image), "dim")
    if not attach:
        return False
    work = asyncio.to_thread(read_paths, list(attach), Path.cwd(), limits_of(settings))
    try:
        staging = await runner.run(work, "Reading what to attach…")
    except TooMuch as exc:
        printer.say(f"zorac-repl: {exc}", "red")
        return True
    for line in staging.refused:
        printer.say(f"zorac-repl: {line}", "red")
    for line in staging.notes:
        printer.say(line, "dim")
    for prepared in staging.images:
        printer.say(image_line(prepared), "dim")
    chat.staged.add(staging.parts)
    if staging.refused:
        printer.say("zorac-repl: nothing was sent.", "red")
    return bool(staging.refused)


async def _detect(link: ServerLink, settings: Settings) -> ZoracError | None:
    """Ask the server for its model and window, as the REPL does at start, so the budget
    and the figures are the same; a failure that need not stop the question is ignored."""
    try:
        await link.detect()
    except ConnectionFailed as exc:
        return exc
    except ZoracError as exc:
        # A configured model can still be asked when the listing fails or names nothing.
        return None if settings.model else exc
    return None


def _restore(saved: SavedConversation, printer: Printer) -> None:
    """Claim the saved session for this process alone, and load it; say what went wrong.

    Raises:
        SessionInUse: a running zorac-repl has it open.
    """
    from zorac_repl.commands.wording import restored_lines

    try:
        lines = restored_lines(saved.restore(exclusive=True, touch=False))
    except SessionInUse:
        raise
    except StoreError as exc:
        from zorac_repl.chat.exchange_log import without_the_log

        saved.paused = True
        lines = [(without_the_log(exc), "red")]
    for text, style in lines:
        if style != "dim":
            printer.say(f"zorac-repl: {text}", style)


class _PipeFrontEnd:
    """One-shot mode as the chat core's front end: the answer on stdout, the rest on stderr.

    Off a terminal, stdout gets exactly the model's text; when its reader goes away
    (``| head``), the answer stops, and the server with it.
    """

    def __init__(self, printer: Printer, stdout: TextIO, stderr: TextIO, runner: Runner) -> None:
        self._printer = printer
        self._stdout = stdout
        self._stderr = stderr
        self._runner = runner
        self.reader_gone = False

    async def confirm_tool(self, tool: ToolInfo, arguments: dict[str, Any]) -> Decision:
        """No one is asked in a pipe: only a pre-approved tool runs (``autoApprove``)."""
        self._printer.say(
            f"zorac-repl: the model asked for {tool.server} {tool.name}, which is not in "
            "autoApprove; with no one to ask, it was not run (the model is told).",
            "yellow",
        )
        return "no"

    def tool_result(self, result: ToolMessage, number: int) -> None:
        from zorac_repl.tools.shown import result_line

        self._printer.say(result_line(result, number), "dim")

    def answer_view(self, settings: Settings) -> AnswerView:
        reasoning = settings.reasoning
        if self._stdout.isatty():
            from rich.console import Console

            console = Console(file=self._stdout, highlight=False)
            return TerminalAnswerView(
                console,
                flushing_writer(self._stdout),
                terminal_rows,
                settings.code_theme,
                columns=terminal_columns,
                reasoning=reasoning,
                thought_hint=" · --show-reasoning shows it",
            )
        write = flushing_writer(self._stdout)

        def write_raw(text: str) -> None:
            if self.reader_gone:
                return
            try:
                write(text)
            except BrokenPipeError:
                # The reader went away (`| head`): stop the answer, and the server.
                self.reader_gone = True
                _silence(self._stdout)
                self._runner.cancel()

        # The thinking never goes to stdout: only where it was asked for, on stderr.
        return PlainAnswerView(
            write_raw,
            flushing_writer(self._stderr) if reasoning == "show" else None,
            thought_is_terminal=self._stderr.isatty(),
        )

    def report(self, asked: Asked, max_output_tokens: int) -> None:
        say = self._printer.say
        outcome = asked.outcome
        if self.reader_gone:
            return
        if outcome is None:
            if asked.error is not None and not asked.error_told:
                say(f"zorac-repl: {asked.error}", "red")
        elif outcome.status == "interrupted":
            say("Response interrupted.", "yellow")
        elif outcome.error is not None:
            say(f"zorac-repl: {outcome.error}", "red")
        elif outcome.status == "unanswered":
            say(f"zorac-repl: {no_answer_line(max_output_tokens)}", "yellow")
        else:
            if self._stderr.isatty():
                say(asked.stats, "dim")
            if outcome.finish_reason == "length":
                # Said even in a pipe: the file holds an answer that stops mid-sentence.
                say(f"zorac-repl: {cut_off_line(max_output_tokens)}", "yellow")

    def exit_code(self, asked: Asked) -> int:
        outcome = asked.outcome
        if self.reader_gone:
            return EXIT_PIPE_CLOSED
        if outcome is None:
            # Not sent: no model, or the summary it needed failed or was cancelled.
            return EXIT_INTERRUPTED if asked.error is None else exit_code_for(asked.error)
        if outcome.status == "interrupted":
            return EXIT_INTERRUPTED
        if outcome.error is not None:
            return exit_code_for(outcome.error)
        if outcome.status == "unanswered":
            return EXIT_SERVER
        if outcome.finish_reason == "length":
            return EXIT_CUT_OFF
        return EXIT_OK


def _silence(stream: TextIO) -> None:
    """Point a closed pipe at /dev/null so flushing it at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
