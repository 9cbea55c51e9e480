"""A directory's files as git would see them: ``.gitignore`` respected, hidden files left out.

The patterns are matched by ``pathspec`` (git's own rules: negation, ``**``, anchoring,
directory-only patterns), from every ``.gitignore`` between the repository's root and each
file, so ``/attach src`` inside a repository skips what the root's ``.gitignore`` names.
An ignored or hidden directory is never entered: ``node_modules`` costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

__all__ = ["Walked", "walk"]


@dataclass
class Walked:
    """What a walk found.

    Attributes:
        files: the files to read, in a stable order, with their sizes.
        hidden: hidden files and directories left out.
        ignored: files and directories ``.gitignore`` left out.
    """

    files: list[tuple[Path, int]] = field(default_factory=list)
    hidden: int = 0
    ignored: int = 0


def walk(top: Path, stop_after: int | None = None) -> Walked:
    """The files under ``top`` (stops once more than ``stop_after`` were found)."""
    import pathspec

    found = Walked()
    top = top.resolve()
    specs: list[tuple[Path, GitIgnoreSpec]] = list(_enclosing_specs(top))

    def ignored(path: Path, is_dir: bool) -> bool:
        for base, spec in specs:
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(relative + ("/" if is_dir else "")):
                return True
        return False

    for directory, dirnames, filenames in os.walk(top):
        here = Path(directory)
        own = here / ".gitignore"
        if own.is_file() and not any(base == here for base, _ in specs):
            specs.append((here, pathspec.GitIgnoreSpec.from_lines(_lines(own))))
        kept_dirs = []
        for name in sorted(dirnames):
            if name.startswith("."):
                found.hidden += 1
            elif ignored(here / name, True):
                found.ignored += 1
            else:
                kept_dirs.append(name)
        dirnames[:] = kept_dirs
        for name in sorted(filenames):
            path = here / name
            if name.startswith("."):
                found.hidden += 1
            elif ignored(path, False):
                found.ignored += 1
            else:
                try:
                    info = path.stat()
                except OSError:
                    continue
                if os.path.isfile(path):
                    found.files.append((path, info.st_size))
        if stop_after is not None and len(found.files) > stop_after:
            break
    return found


def _enclosing_specs(top: Path) -> Iterator[tuple[Path, GitIgnoreSpec]]:
    """The ``.gitignore`` files above ``top`` up to its repository's root (none outside a
    repository), root first."""
    import pathspec

    chain = [top, *top.parents]
    root = next((d for d in chain if (d / ".git").exists()), None)
    if root is None:
        return
    for directory in reversed(chain[1 : chain.index(root) + 1]):
        ignore = directory / ".gitignore"
        if ignore.is_file():
            yield directory, pathspec.GitIgnoreSpec.from_lines(_lines(ignore))


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
