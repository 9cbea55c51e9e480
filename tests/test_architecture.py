"""House rules import-linter cannot see: it knows external packages only by their top name."""

from __future__ import annotations

import ast
from pathlib import Path

import zorac_repl

_SOURCE = Path(zorac_repl.__file__).parent
_DRAWING = ("rich.markdown", "rich.live")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_rich_markdown_and_live_are_imported_only_under_render():
    offenders = sorted(
        f"{path.relative_to(_SOURCE)} imports {name}"
        for path in _SOURCE.rglob("*.py")
        if "render" not in path.relative_to(_SOURCE).parts
        for name in _imported_modules(path)
        if name.startswith(_DRAWING)
    )
    assert offenders == []


def test_the_check_sees_an_import_of_rich_markdown(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from rich.markdown import Markdown\n")
    assert "rich.markdown" in _imported_modules(sample)
