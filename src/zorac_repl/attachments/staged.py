"""What waits for the next message: staged attachments, their sizes and their cost."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from zorac_repl.conversation.parts import Attachment, FilePart, ImagePart, human_size

__all__ = ["Staged", "short_count"]


def short_count(tokens: int) -> str:
    """``812``, ``3.4k``, ``120k``."""
    if tokens < 1000:
        return str(tokens)
    if tokens < 100_000:
        return f"{tokens / 1000:.1f}k"
    return f"{tokens // 1000}k"


class Staged:
    """Attachments staged for the next message, in the order staged.

    Args:
        count: counts a text's tokens (the conversation's counter).
    """

    def __init__(self, count: Callable[[str], int]) -> None:
        self._count = count
        self._parts: list[Attachment] = []
        self._tokens: dict[int, int] = {}  # by id(part): a file is counted once

    def __iter__(self) -> Iterator[Attachment]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def add(self, parts: Iterable[Attachment]) -> list[str]:
        """Stage ``parts``; returns the names already staged (staged again in their place)."""
        again = []
        for part in parts:
            for index, staged in enumerate(self._parts):
                if staged.name == part.name:
                    del self._parts[index]
                    again.append(part.name)
                    break
            self._parts.append(part)
        return again

    def remove(self, number: int) -> Attachment:
        """Unstage the ``number``-th (from 1).

        Raises:
            IndexError: there is no such one.
        """
        if not 1 <= number <= len(self._parts):
            raise IndexError(number)
        return self._parts.pop(number - 1)

    def clear(self) -> list[Attachment]:
        parts, self._parts = self._parts, []
        self._tokens.clear()
        return parts

    def take(self) -> tuple[Attachment, ...]:
        """The staged parts, for the message that carries them (still staged until sent)."""
        return tuple(self._parts)

    def count_ahead(self, parts: Iterable[Attachment]) -> None:
        """Count ``parts`` now, before they are staged: on a worker thread, so that a large
        directory's count never holds up the prompt (the toolbar reads it on every redraw)."""
        for part in parts:
            self.tokens_of(part)

    def tokens_of(self, part: Attachment) -> int:
        if isinstance(part, ImagePart):
            return part.tokens
        known = self._tokens.get(id(part))
        if known is None:
            known = self._tokens[id(part)] = self._count(part.wire_text())
        return known

    def tokens(self) -> int:
        return sum(self.tokens_of(part) for part in self._parts)

    def summary(self) -> str:
        """``2 files, 1 image · ~3.4k tokens``; ``""`` when nothing is staged."""
        if not self._parts:
            return ""
        files = sum(1 for part in self._parts if isinstance(part, FilePart))
        images = len(self._parts) - files
        said = []
        if files:
            said.append(f"{files} file{'s' * (files != 1)}")
        if images:
            said.append(f"{images} image{'s' * (images != 1)}")
        return f"{', '.join(said)} · ~{short_count(self.tokens())} tokens"

    def rows(self) -> list[tuple[str, str, str, str]]:
        """One row per attachment: number, name, size, tokens."""
        rows = []
        for number, part in enumerate(self._parts, 1):
            if isinstance(part, ImagePart):
                size = f"{part.width}×{part.height}, {human_size(part.size)}"
            elif part.pages is not None:
                size = f"{human_size(part.size)}, {part.pages} pages"
            else:
                size = human_size(part.size)
            rows.append((str(number), part.name, size, f"~{short_count(self.tokens_of(part))}"))
        return rows
