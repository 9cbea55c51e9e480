"""What lives as long as the REPL runs, put together: the parts the front end and commands use.

Each part has one job and its own module: ``LiveSettings`` (settings in force),
``ServerLink`` (client, models, context length), ``SavedConversation`` (the
conversation, kept in the log), ``Budget`` (tokens), ``Chat`` (asking, retrying,
summarizing), ``Printer`` (status lines) and ``Runner`` (Ctrl+C and SIGTERM). This
module builds them, and is the one place a setting change reaches the parts (``apply``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zorac_repl.chat.budget import Budget
from zorac_repl.chat.core import Chat, FrontEnd
from zorac_repl.chat.runner import Runner
from zorac_repl.chat.system_prompt import system_prompt_for
from zorac_repl.conversation.history import Conversation
from zorac_repl.log.saved import SavedConversation
from zorac_repl.log.store import LogStore
from zorac_repl.render.printer import Printer
from zorac_repl.server.link import ServerLink
from zorac_repl.settings.live import Change, LiveSettings
from zorac_repl.settings.table import Settings
from zorac_repl.terminal.keyboard import KeyReader
from zorac_repl.tokens import TokenCounter
from zorac_repl.tools.config import servers_from_file
from zorac_repl.tools.toolbox import ToolBox

if TYPE_CHECKING:
    from zorac_repl.server.client import ModelInfo

__all__ = ["ChatParts"]


class ChatParts:
    """The parts behind the prompt.

    Args:
        settings: resolved settings.
        data_dir: where the log (and so the conversation) is kept.
        session_name: the session to continue (``--session``; ``LAST_USED``: ``-c``).
        config_path: where ``/config set`` saves.
        environ: the environment, to tell which settings it overrides.
        printer: where status lines go.
        front: draws answers and tells outcomes.
        command_list: ``(usage, help)`` of each command, for the built-in system prompt.
        keys: reads the keyboard while an answer streams (``None`` off a terminal).
        profile: the server profile in use, whose ``mcpServers`` replace the file's.
    """

    def __init__(
        self,
        settings: Settings,
        data_dir: Path,
        config_path: Path,
        environ: Mapping[str, str],
        printer: Printer,
        front: FrontEnd,
        command_list: Sequence[tuple[str, str]] = (),
        keys: KeyReader | None = None,
        session_name: str = "default",
        profile: str | None = None,
    ) -> None:
        self._command_list = tuple(command_list)
        self.settings = LiveSettings(settings, config_path, environ)
        self.printer = printer
        self.runner = Runner(self.printer, keys)
        self.link = ServerLink(self.settings)
        conversation = Conversation(
            counter=TokenCounter(settings.tiktoken_encoding),
            system_prompt=self._system_prompt(settings),
        )
        self.log = LogStore(data_dir / "log.db")  # opened when the session is restored
        self.saved = SavedConversation(
            conversation, self.log, session_name, lambda: self.settings.profile
        )
        self.budget = Budget(self.settings, self.link, conversation)
        specs, problems = servers_from_file(config_path, profile)
        for problem in problems:
            printer.say(problem, "yellow")
        self.tools = ToolBox(specs, environ)
        self.chat = Chat(
            self.settings,
            self.link,
            self.budget,
            conversation,
            self.saved,
            self.printer,
            self.runner,
            front,
            self.tools,
            self.log,
        )

    @property
    def conversation(self) -> Conversation:
        return self.saved.conversation

    async def close(self) -> None:
        await self.tools.close()
        await self.link.close()
        self.saved.release()
        self.log.close()

    def _system_prompt(self, settings: Settings) -> str:
        return system_prompt_for(settings.system_prompt, self._command_list)

    async def apply(self, change: Change) -> None:
        """A setting changed: whatever it concerns follows at once.

        The one place a change reaches the parts: a new base URL, key or stall timeout
        gives a new client; a new encoding a new counter; a new system prompt resets the
        exact count. Whoever made the change (``/config set``, ``/model``, ``/profile``)
        calls this with it.
        """
        old, new = change.old, change.new
        await self.link.apply(old, new)
        conversation = self.conversation
        if old.tiktoken_encoding != new.tiktoken_encoding:
            conversation.counter = TokenCounter(new.tiktoken_encoding)
            notice = conversation.counter.notice()
            if notice:
                self.printer.say(notice, "yellow")
        if old.system_prompt != new.system_prompt:
            conversation.set_system_prompt(self._system_prompt(new))

    async def use_model(self, model_id: str) -> ModelInfo:
        """``/model ID``: the server's model ``model_id``, for this run, from the next message.

        Raises:
            ZoracError: the server cannot be reached; ``UnknownModel``: it has no such model.
        """
        chosen = await self.link.find_model(model_id)
        await self.apply(self.settings.use_for_session("VLLM_MODEL", chosen.id))
        await self.link.adopt_model(chosen.id)
        return chosen

    async def use_profile(self, name: str) -> float:
        """``/profile NAME``: its settings in force, and its server asked again.

        Returns the round trip in seconds.

        Raises:
            ConfigError: no such profile, or a value in it not accepted (nothing changed).
            ZoracError: its server cannot be reached (the profile is in use all the same).
        """
        await self.apply(self.settings.use_profile(name))
        return await self.link.reconnect()
