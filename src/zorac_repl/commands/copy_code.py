"""``/copy``: a code block of the last answer, or the whole answer, to the clipboard or a file.

``/copy`` takes the last code block, ``/copy N`` block N (as labelled ``[N]`` on screen),
``/copy all`` the answer's Markdown; a path after it writes a file instead, never over an
existing one unless the path ends in ``!``. What is copied is the source, never the
wrapped screen rows.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from zorac_repl.chat.parts import ChatParts
from zorac_repl.commands.base import CommandResult, UsageError, write_new_file
from zorac_repl.render.safe_text import without_controls
from zorac_repl.terminal.clipboard import MAX_PAYLOAD, osc52

__all__ = ["copy"]


async def copy(parts: ChatParts, args: str) -> CommandResult:
    conversation, environ = parts.conversation, parts.settings.environ
    which, path = _arguments(args)
    answer = conversation.last_answer()
    if answer is None:
        return CommandResult("There is no answer to copy from yet.")
    if which.lower() == "all":
        text, what = answer, f"the whole answer ({_lines(answer)} of Markdown)"
    else:
        from zorac_repl.render.code_blocks import code_blocks  # markdown-it: not at start-up

        blocks = code_blocks(answer)
        if not blocks:
            return CommandResult(
                "The last answer has no code block; /copy all copies the whole answer."
            )
        if not which:
            block = blocks[-1]
        else:
            try:
                number = int(which)
            except ValueError:
                raise UsageError from None
            if not 1 <= number <= len(blocks):
                return CommandResult(
                    f"The last answer has code blocks 1 to {len(blocks)}; "
                    f"there is no block {which}.",
                    style="red",
                )
            block = blocks[number - 1]
        text = block.code
        language = f"{block.language}, " if block.language else ""
        what = f"code block {block.number} ({language}{_lines(block.code)})"
    text, dropped = without_controls(text)
    if dropped:
        # A hidden ESC[201~ would end a shell's bracketed paste and run the lines after
        # it: what is copied is what was shown, less the controls.
        what += f", less {dropped} control character{'' if dropped == 1 else 's'}"
    if path.strip():
        return _write(text, what, path.strip(), which)
    clipboard = osc52(text, environ)
    if clipboard is None:
        return CommandResult(
            f"{what[0].upper()}{what[1:]} is {len(text.encode()):,} bytes, more than a "
            f"terminal's clipboard takes ({MAX_PAYLOAD * 3 // 4:,} bytes at most): "
            f"/copy {which or 'N'} PATH writes it to a file.",
            style="yellow",
        )
    note = f" {clipboard.note}" if clipboard.note else ""
    return CommandResult(
        f"Copied {what} to the clipboard.{note}",
        style="yellow" if note else "dim",
        terminal=clipboard.sequence,
    )


def _write(text: str, what: str, path: str, which: str) -> CommandResult:
    target = Path(os.path.expanduser(path.removesuffix("!")))
    content = text if text.endswith("\n") else text + "\n"
    problem = write_new_file(target, content, path.endswith("!"), f"/copy {which} {path}")
    return problem or CommandResult(f"Wrote {what} to {target}.", style="dim")


def _lines(text: str) -> str:
    count = len(text.splitlines())
    return f"{count} line{'' if count == 1 else 's'}"


def _arguments(args: str) -> tuple[str, str]:
    """``[N or all] [PATH]``, with a path that has spaces in quotes (``"my file.py"``).

    Raises:
        UsageError: more than those two, or an unclosed quote (``/copy 1 2 3``).
    """
    try:
        words = shlex.split(args)
    except ValueError:
        raise UsageError from None
    if len(words) > 2:
        raise UsageError
    return (words[0] if words else ""), (words[1] if len(words) == 2 else "")
