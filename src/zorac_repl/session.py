"""What lives as long as the REPL runs: settings, conversation, saved session, server.

``ReplSession`` is what commands act on and what a turn runs in. It keeps the budget
(summarizing before a send that would not fit), saves the conversation after every
completed turn, and applies setting changes at once. Printing goes through ``say``,
which never interprets Rich markup, so text from users, models and servers shows as is.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from zorac_repl.commands import CommandResult
from zorac_repl.config import (
    SETTINGS,
    Settings,
    Source,
    env_override,
    mask_secret,
    parse_value,
    spec_for,
    write_config_value,
)
from zorac_repl.conversation import Conversation, ShapeError
from zorac_repl.errors import (
    ConfigError,
    ConnectionFailed,
    ContextOverflow,
    StoreError,
    ZoracError,
)
from zorac_repl.session_store import SessionStore
from zorac_repl.terminal import (
    CursorProbe,
    flushing_writer,
    known_to_rewrap,
    quiet_input,
    terminal_columns,
    terminal_rows,
)
from zorac_repl.tokens import TokenCounter

if TYPE_CHECKING:
    from rich.console import Console

    from zorac_repl.client import ChatClient, ChatRequest
    from zorac_repl.turn import TurnOutcome

__all__ = ["ReplSession"]

T = TypeVar("T")


@dataclass
class ReplSession:
    """The state behind the prompt.

    Args:
        settings: resolved settings; ``apply`` replaces them.
        store: the session file.
        config_path: where ``/config set`` saves.
        environ: the environment, to tell which settings it overrides.
    """

    settings: Settings
    store: SessionStore
    config_path: Path
    environ: Mapping[str, str]
    conversation: Conversation = field(default_factory=Conversation)
    server_status: str = "connecting…"
    last_stats: str = ""
    server_max_model_len: int | None = None
    model_ids: list[str] = field(default_factory=list)
    last_unsent: str | None = None
    terminating: bool = False
    # Keys the user typed while an answer streamed that the session read (asking the
    # terminal where its cursor is after a resize): they go to the next prompt.
    keep_typed: Callable[[bytes], None] | None = None
    _running: asyncio.Future[Any] | None = field(default=None, repr=False)
    _cursor_probe: CursorProbe | None = field(default=None, repr=False)
    _console: Console | None = field(default=None, repr=False)
    _client: ChatClient | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.conversation.counter = TokenCounter(self.settings.tiktoken_encoding)
        self.conversation.set_system_prompt(self._system_prompt())

    # -- parts made on first use: none of them is needed to show the prompt ------------

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            from zorac_repl.client import ChatClient

            self._client = ChatClient(self.settings.base_url, self.settings.api_key,
                                      self.settings.stall_timeout)
        return self._client

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(highlight=False)
        return self._console

    def say(self, text: str, style: str | None = None) -> None:
        """Print ``text`` literally: ``[bold]`` stays ``[bold]``, an escape code shows as ``␛``."""
        from zorac_repl.render.safe_text import visible_controls

        self.console.print(visible_controls(text), markup=False, style=style, emoji=False)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self.store.release()

    # -- the budget ----------------------------------------------------------------------

    @property
    def budget(self) -> int:
        """``MAX_INPUT_TOKENS``, or the server's context less the output room when unset."""
        if self.budget_source == "server" and self.server_max_model_len is not None:
            return max(1, self.server_max_model_len - self.settings.max_output_tokens)
        return self.settings.max_input_tokens

    @property
    def budget_source(self) -> Source:
        source = self.settings.source_of("MAX_INPUT_TOKENS")
        if source == "default" and self.server_max_model_len is not None:
            return "server"
        return source

    def _system_prompt(self) -> str:
        if self.settings.system_prompt:
            return self.settings.system_prompt
        from zorac_repl.system_prompt import default_system_prompt

        return default_system_prompt()

    # -- the saved session ---------------------------------------------------------------

    def restore(self) -> list[tuple[str, str]]:
        """Load the saved conversation at start; returns the lines to tell the user.

        It runs before the first prompt, so it prints nothing itself: Rich is not loaded yet.
        """
        self.store.claim()
        loaded, line = self._read_saved()
        lines = [line] if line else []
        if loaded is not None and (loaded.messages or loaded.summary):
            self.conversation = loaded
            lines.append((f"Loaded previous session ({len(loaded.messages)} messages, "
                          f"~{loaded.token_count()} tokens).", "dim"))
        return lines

    def _read_saved(self) -> tuple[Conversation | None, tuple[str, str] | None]:
        """The saved conversation, if one can be read, and a line to show about it.

        A file that cannot be parsed, or is not a conversation, is quarantined; the
        conversation in memory is never touched here.
        """
        try:
            found = self.store.load()
        except StoreError as exc:
            return None, (str(exc), "red")
        notice = (found.notice, "yellow") if found.notice else None
        if found.data is None:
            return None, notice
        loaded = Conversation(counter=self.conversation.counter,
                              system_prompt=self.conversation.system_prompt)
        try:
            loaded.load_json(found.data)
        except ShapeError as exc:
            return None, (self.store.quarantine(str(exc)).notice or "", "yellow")
        return loaded, notice

    def save(self) -> str | None:
        """Save the conversation; returns an error line instead of raising."""
        try:
            self.store.save(self.conversation.to_json())
        except StoreError as exc:
            return f"{exc} The conversation is still here; /save tries again."
        return None

    def save_now(self) -> CommandResult:
        error = self.save()
        if error:
            return CommandResult(error, "red")
        return CommandResult(f"Saved {len(self.conversation.messages)} messages to "
                             f"{self.store.path}.", "dim")

    def load_saved(self) -> CommandResult:
        loaded, line = self._read_saved()
        if loaded is None:
            if line is not None:
                return CommandResult(line[0], line[1])
            return CommandResult(f"There is no saved session at {self.store.path} yet.")
        self.conversation = loaded
        return CommandResult(f"Loaded the saved session ({len(loaded.messages)} messages, "
                             f"~{loaded.token_count()} tokens).", "dim")

    def clear_conversation(self) -> CommandResult:
        if not self.conversation.messages and not self.conversation.summary:
            return CommandResult("The conversation is already empty.", "dim")
        count = len(self.conversation.messages)
        try:
            backup = self.store.backup(self.conversation.to_json())
        except StoreError as exc:
            return CommandResult(f"Not cleared: the backup could not be written. {exc}", "red")
        self.conversation.clear()
        error = self.save()
        kept = f"The previous conversation ({count} messages) is kept in {backup}."
        if error:
            return CommandResult(f"Cleared. {kept} {error}", "yellow")
        return CommandResult(f"Cleared. {kept}", "dim")

    # -- tokens and summaries ------------------------------------------------------------

    async def exact_prompt_tokens(self, messages: list[dict[str, str]]) -> int | None:
        """The server's count for ``messages`` (vLLM ``/tokenize``), when it offers one."""
        if not self.settings.model:
            return None
        return await self.client.count_prompt_tokens(messages, self.settings.model)

    async def _load_counter(self) -> None:
        # Off the event loop: the first load parses the encoding (a fifth of a second).
        await asyncio.to_thread(self.conversation.counter.load)

    async def tokens_report(self) -> CommandResult:
        await self._load_counter()
        conversation = self.conversation
        exact = None
        try:
            exact = await self.exact_prompt_tokens(conversation.for_request())
        except ZoracError:
            exact = None
        if exact is not None:
            used, how = exact, "exact, counted by the server (/tokenize)"
        elif conversation.is_exact:
            used, how = conversation.token_count(), "exact, from the server's last usage report"
        else:
            used = conversation.token_count()
            how = f"estimated locally ({conversation.counter.method})"
        limit = self.budget
        share = 100 * used / limit if limit else 0.0
        extra = []
        if conversation.system_prompt:
            extra.append("the system prompt")
        if conversation.summary:
            extra.append("a summary")
        included = f" (plus {' and '.join(extra)})" if extra else ""
        lines = [
            f"Tokens:    {used} of {limit} ({share:.1f}%), {max(0, limit - used)} left",
            f"Messages:  {len(conversation.messages)}{included}",
            f"Counted:   {how}",
            f"Limit:     MAX_INPUT_TOKENS from {self.budget_source}"
            + (f" (context {self.server_max_model_len} less {self.settings.max_output_tokens}"
               " for the answer)" if self.budget_source == "server" else ""),
        ]
        return CommandResult("\n".join(lines))

    async def summarize_now(self) -> CommandResult:
        from zorac_repl.summarize import older_message_count

        keep = self.settings.keep_recent_messages
        if older_message_count(self.conversation, keep) == 0:
            return CommandResult(
                f"Nothing to summarize: the conversation has no messages older than the "
                f"last {keep} (KEEP_RECENT_MESSAGES).")
        if not await self._ensure_model():
            return CommandResult()
        done = await self._summarize()
        if done is None:
            return CommandResult()
        return CommandResult(done, "dim")

    async def _summarize(self) -> str | None:
        """Summarize with a cancellable spinner; the outcome line, or ``None`` on failure."""
        from zorac_repl.summarize import older_message_count, summarize, summary_token_limit

        count = older_message_count(self.conversation, self.settings.keep_recent_messages)
        label = f"Summarizing {count} older messages… (Ctrl+C cancels)"
        try:
            result = await self._cancellable(
                summarize(self.client, self.conversation, self._request(),
                          self.settings.keep_recent_messages, summary_token_limit(self.budget)),
                label)
        except asyncio.CancelledError:
            self.say("Summarization cancelled; nothing was removed from the conversation.",
                     "yellow")
            return None
        except ZoracError as exc:
            self.say(f"Summarization failed: {exc} Nothing was removed from the conversation.",
                     "red")
            return None
        if result is None:
            return "Nothing to summarize."
        error = self.save()
        if error:
            self.say(error, "red")
        return (f"Summarized {result.replaced} older messages: ~{result.before} → "
                f"~{result.after} tokens. /summary shows the summary.")

    async def _cancellable(self, work: Awaitable[T], label: str | None = None) -> T:
        """Run ``work`` with typing silenced; Ctrl+C and SIGTERM cancel it.

        ``label`` shows a spinner meanwhile (a turn draws its own).
        """
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        self._running = task
        try:
            with quiet_input():
                if label is None:
                    return await task
                with self.console.status(label, spinner="dots"):
                    return await task
        finally:
            self._running = None
            loop.remove_signal_handler(signal.SIGINT)

    def terminate(self) -> None:
        """SIGTERM: stop what is running; the REPL then saves and leaves."""
        self.terminating = True
        if self._running is not None:
            self._running.cancel()

    async def retry(self) -> CommandResult:
        """Send the last message again: the one that failed, else the last one answered."""
        text = self.last_unsent
        messages = self.conversation.messages
        if text is None:
            if len(messages) < 2 or messages[-1]["role"] != "assistant":
                return CommandResult("Nothing to retry yet.")
            text = str(messages[-2]["content"])
            removed = messages[-2:]
            del messages[-2:]
            self.conversation.replace_exact(None)
            draft = await self.ask(text)
            if draft:  # the new answer failed: the old one comes back
                messages.extend(removed)
                return CommandResult(draft=draft)
            return CommandResult()
        return CommandResult(draft=await self.ask(text))

    async def _fit_budget(self, text: str) -> bool:
        """Make room for ``text`` by summarizing if the next request would not fit.

        Returns False when the user's message must wait (summarization failed or was
        cancelled): nothing was lost, and the message goes back into the input.
        """
        await self._load_counter()
        conversation = self.conversation
        pending = [*conversation.for_request(), {"role": "user", "content": text}]
        limit = self.budget
        known = conversation.token_count()
        if known + conversation.counter.upper_bound(text) < limit * 0.9:
            return True
        local = known + conversation.counter.count_message(text)
        if local < limit * 0.9:
            return True
        exact = await self.exact_prompt_tokens(pending)
        needed = exact if exact is not None else local
        if needed <= limit:
            return True
        from zorac_repl.summarize import older_message_count

        if older_message_count(conversation, self.settings.keep_recent_messages) == 0:
            self.say(f"This message makes the conversation ~{needed} tokens, over the "
                     f"budget of {limit}, and there is nothing old enough to summarize. "
                     "Sending it anyway; /clear starts fresh if the server refuses.", "yellow")
            return True
        self.say(f"The conversation would be ~{needed} tokens, over the budget of {limit}; "
                 "summarizing older messages first.", "dim")
        outcome = await self._summarize()
        if outcome is None:
            self.say("Your message was not sent; it is back in the input. Try /summarize "
                     "again, /clear to start fresh, or raise MAX_INPUT_TOKENS.", "yellow")
            return False
        after = conversation.token_count() + conversation.counter.count_message(text)
        self.say(outcome, "dim")
        if after > limit:
            recent = conversation.counter.count_messages(conversation.messages)
            self.say(f"Still ~{after} tokens after summarizing, over the budget of {limit}: "
                     f"the last {len(conversation.messages)} messages alone are ~{recent}. "
                     "Sending anyway; lower KEEP_RECENT_MESSAGES, or /clear if the server "
                     "refuses.", "yellow")
        return True

    # -- the server ------------------------------------------------------------------------

    async def detect_server(self) -> float:
        """Ask the server for its models; returns the round trip in seconds.

        Raises:
            ZoracError: the server cannot be reached or lists no models.
        """
        started = time.perf_counter()
        models = await self.client.list_models()
        elapsed = time.perf_counter() - started
        if not models:
            from zorac_repl.errors import ServerError

            raise ServerError(f"The server at {self.settings.base_url} lists no models; "
                              "pass --model or set VLLM_MODEL.")
        self.model_ids = [m.id for m in models]
        chosen = next((m for m in models if m.id == self.settings.model), None)
        if not self.settings.model:
            chosen = models[0]
            self.settings = replace(self.settings, model=chosen.id,
                                    sources={**self.settings.sources, "VLLM_MODEL": "server"})
        self.server_max_model_len = chosen.max_model_len if chosen else None
        self.server_status = self.settings.model
        return elapsed

    async def _ensure_model(self) -> bool:
        if self.settings.model:
            return True
        try:
            await self.detect_server()
        except ZoracError as exc:
            self.server_status = "server unreachable"
            self.say(str(exc), "red")
            return False
        return True

    async def reconnect(self) -> CommandResult:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self.settings.source_of("VLLM_MODEL") == "server":
            self.settings = replace(self.settings, model="",
                                    sources={**self.settings.sources, "VLLM_MODEL": "default"})
        try:
            elapsed = await self.detect_server()
        except ZoracError as exc:
            self.server_status = "server unreachable"
            return CommandResult(str(exc), "red")
        length = (f", context {self.server_max_model_len} tokens"
                  if self.server_max_model_len else "")
        return CommandResult(f"Connected to {self.settings.base_url}: model "
                             f"{self.settings.model}{length} ({elapsed * 1000:.0f} ms).", "green")

    # -- settings --------------------------------------------------------------------------

    def shown_value(self, key: str) -> str:
        spec = spec_for(key)
        if spec.key == "MAX_INPUT_TOKENS":
            return str(self.budget)
        value = getattr(self.settings, spec.field)
        if spec.is_secret:
            return mask_secret(str(value))
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if spec.key == "SYSTEM_PROMPT" and not value:
            return "(built-in)"
        if value == "":
            return "(not set)"
        return str(value)

    def _source(self, key: str) -> str:
        if key == "MAX_INPUT_TOKENS":
            return self.budget_source
        return self.settings.source_of(key)

    def config_list(self) -> CommandResult:
        width = max(len(spec.key) for spec in SETTINGS)
        lines = []
        for spec in SETTINGS:
            value = self.shown_value(spec.key).replace("\n", "⏎ ")
            if len(value) > 60:
                value = value[:59] + "…"
            lines.append(f"{spec.key.ljust(width)}  {value}  [{self._source(spec.key)}]")
        lines.append(f"Saved settings: {self.config_path}")
        return CommandResult("\n".join(lines))

    def config_get(self, key: str) -> CommandResult:
        try:
            spec = spec_for(key)
        except ConfigError as exc:
            return CommandResult(str(exc), "red")
        return CommandResult(f"{spec.key} = {self.shown_value(spec.key)}  "
                             f"[{self._source(spec.key)}]")

    async def config_set(self, key: str, text: str) -> CommandResult:
        try:
            spec = spec_for(key)
            value = parse_value(spec, text, spec.key)
        except ConfigError as exc:
            return CommandResult(f"{exc} Nothing was changed.", "red")
        try:
            write_config_value(self.config_path, spec.key, text.strip())
        except StoreError as exc:
            return CommandResult(str(exc), "red")
        overridden = env_override(spec, self.environ)
        flagged = self.settings.source_of(spec.key) == "flag"
        if overridden or flagged:
            winner = f"${overridden}" if overridden else "a command-line flag"
            return CommandResult(
                f"Saved {spec.key} to the config file, but {winner} sets it and still wins; "
                f"it stays {self.shown_value(spec.key)}.", "yellow")
        changed = replace(self.settings, **{spec.field: value},  # type: ignore[arg-type]
                          sources={**self.settings.sources, spec.key: "file"})
        await self.apply(changed)
        return CommandResult(f"{spec.key} = {self.shown_value(spec.key)} (saved, in effect now)",
                             "green")

    async def apply(self, settings: Settings) -> None:
        """Use ``settings`` from now on; whatever they change takes effect at once."""
        old, self.settings = self.settings, settings
        if old.stall_timeout != settings.stall_timeout and self._client is not None:
            await self._client.aclose()
            self._client = None
        if (old.base_url, old.api_key) != (settings.base_url, settings.api_key):
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            self.server_max_model_len = None
            self.model_ids = []
            if settings.source_of("VLLM_MODEL") == "server":
                self.settings = replace(self.settings, model="")
            self.server_status = "connecting…"
        if old.tiktoken_encoding != settings.tiktoken_encoding:
            self.conversation.counter = TokenCounter(settings.tiktoken_encoding)
            notice = self.conversation.counter.notice()
            if notice:
                self.say(notice, "yellow")
        if old.system_prompt != settings.system_prompt:
            self.conversation.set_system_prompt(self._system_prompt())
        if old.model != settings.model and settings.model:
            self.server_status = settings.model

    # -- a turn ----------------------------------------------------------------------------

    def _request(self) -> ChatRequest:
        from zorac_repl.client import ChatRequest

        settings = self.settings
        return ChatRequest(settings.model, settings.temperature, settings.max_output_tokens)

    async def ask(self, text: str) -> str:
        """Run one turn for ``text``; returns the draft to put back in the input."""
        from zorac_repl.render.answer_view import TerminalAnswerView
        from zorac_repl.turn import run_turn

        if not await self._ensure_model():
            return text
        if not await self._fit_budget(text):
            return text
        self.conversation.add_user(text)
        write = flushing_writer(sys.stdout)
        if self._cursor_probe is None and self.keep_typed is not None and sys.stdin.isatty():
            self._cursor_probe = CursorProbe(write, rewraps=known_to_rewrap(self.environ))
        view = TerminalAnswerView(self.console, write, terminal_rows,
                                  self.settings.code_theme, columns=terminal_columns,
                                  cursor_probe=self._cursor_probe)
        # The turn ends as "interrupted" when cancelled: it never raises CancelledError.
        try:
            outcome = await self._cancellable(run_turn(self.client, self.conversation,
                                                       self._request(), view,
                                                       stream=self.settings.stream))
        finally:
            typed = self._cursor_probe.take_typed() if self._cursor_probe else b""
            if typed and self.keep_typed is not None:
                self.keep_typed(typed)
        self._report(outcome)
        self.last_unsent = None if outcome.status == "complete" else text
        if outcome.status == "complete":
            error = self.save()
            if error:
                self.say(error, "red")
        elif isinstance(outcome.error, ConnectionFailed):
            self.server_status = "server unreachable"
        return outcome.draft or ""

    def _report(self, outcome: TurnOutcome) -> None:
        from zorac_repl.stats import format_context, format_stats

        conversation = self.conversation
        context = format_context(len(conversation.messages), conversation.token_count(),
                                 self.budget)
        stats = format_stats(outcome.figures, context)
        figures = outcome.figures
        self.last_stats = f"last: {figures.tokens} tokens, {figures.tokens_per_second:.1f} tok/s"
        if outcome.status == "interrupted":
            self.say(f"Response interrupted. {stats}", "yellow")
        elif outcome.error is not None:
            kept = " The partial answer above was not kept." if outcome.text else ""
            if isinstance(outcome.error, ContextOverflow):
                kept += (" Your message is back in the input: /summarize or /clear makes "
                         "room, then send it again.")
            self.say(f"{outcome.error}{kept}", "red")
        else:
            self.say(stats, "dim")
            if outcome.finish_reason == "length":
                self.say(f"The answer stopped at the output limit "
                         f"({self.settings.max_output_tokens} tokens); raise it with "
                         "/config set MAX_OUTPUT_TOKENS N.", "yellow")

