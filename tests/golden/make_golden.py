"""Write the expected renders next to each golden input: ``python tests/golden/make_golden.py``.

Run it only when a change to the one-shot render is intended, and read the diff.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from zorac_repl.render.markdown import render_lines

WIDTH = 80
HERE = Path(__file__).parent


def golden_console() -> Console:
    return Console(file=io.StringIO(), width=WIDTH, force_terminal=True, color_system="truecolor")


def main() -> None:
    for source in sorted(HERE.glob("*.md")):
        rows = render_lines(golden_console(), source.read_text())
        source.with_suffix(".ansi").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
