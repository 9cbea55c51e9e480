"""Tab completion for slash commands, their subcommands and arguments, setting keys and values.

Everything offered comes from the command registry and the settings table; what a
command's argument can be (model ids from the server's last ``/v1/models`` answer, saved
session names, the last answer's code block numbers) comes from ``arguments``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CompletionKind
from zorac_repl.commands.registry import COMMANDS, find_command
from zorac_repl.settings.table import SETTINGS

__all__ = ["CommandCompleter", "completion_sources"]


def _matching(
    word: str, candidates: Iterable[str], case_insensitive: bool = True, then: str = ""
) -> Iterator[Completion]:
    """``candidates`` that start with ``word``; ``then`` follows a word that another word
    follows (a command, a subcommand, a setting's key), as a shell's completion does."""
    folded = word.lower() if case_insensitive else word
    for candidate in candidates:
        text = candidate.lower() if case_insensitive else candidate
        if text.startswith(folded):
            yield Completion(candidate + then, start_position=-len(word), display=candidate)


class CommandCompleter(Completer):
    """Completes a line that starts with ``/``; plain messages get no completions.

    Args:
        arguments: what an argument of each kind can be now (``Command.completes``):
            ``model`` (the server's model ids, as last fetched), ``session``, ``block``.
    """

    def __init__(self, arguments: Mapping[CompletionKind, Callable[[], list[str]]]) -> None:
        self._arguments = arguments
        self._paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        words = text.split(" ")
        if len(words) == 1:
            names = [name for c in COMMANDS for name in (c.name, *c.aliases)]
            yield from _matching(words[0], names, then=" ")
            return
        command = find_command(words[0])
        if command is None:
            return
        if command.completes == "path":  # every argument is a path: complete the last
            yield from self._paths.get_completions(Document(words[-1]), complete_event)
            return
        if len(words) == 2:
            yield from _matching(words[1], command.subcommands, then=" ")
            if command.completes:
                yield from _matching(
                    words[1], self._argument(command.completes), case_insensitive=False
                )
            return
        if command.name != "/config" or words[1].lower() not in ("get", "set"):
            return
        if len(words) == 3:
            then = " " if words[1].lower() == "set" else ""
            yield from _matching(words[2], [spec.key for spec in SETTINGS], then=then)
            return
        if len(words) == 4 and words[1].lower() == "set":
            yield from _matching(words[3], self._values(words[2].upper()), case_insensitive=False)

    def _argument(self, kind: CompletionKind) -> list[str]:
        source = self._arguments.get(kind)
        return source() if source is not None else []

    def _values(self, key: str) -> list[str]:
        if key == "VLLM_MODEL":
            return self._argument("model")
        spec = next((s for s in SETTINGS if s.key == key), None)
        if spec is None or spec.choices is None:
            return []
        try:
            return spec.choices()
        except Exception:  # a broken optional library must not break typing
            return []


def completion_sources(parts: ChatParts) -> dict[CompletionKind, Callable[[], list[str]]]:
    """What a command's argument can be now, by ``Command.completes``."""

    def block_numbers() -> list[str]:
        from zorac_repl.render.code_blocks import code_blocks

        answer = parts.conversation.last_answer()
        return [str(block.number) for block in code_blocks(answer)] if answer else []

    return {
        "model": lambda: parts.link.model_ids,
        "block": block_numbers,
        "session": parts.saved.names,
        "profile": lambda: list(parts.settings.profiles()),
    }
