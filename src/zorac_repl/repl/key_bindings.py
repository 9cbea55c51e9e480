"""The prompt's own keys, and the input processor that hides a secret while it is typed."""

from __future__ import annotations

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout.processors import (
    Processor,
    Transformation,
    TransformationInput,
)
from prompt_toolkit.layout.utils import explode_text_fragments

from zorac_repl.commands.secret_lines import secret_value_start
from zorac_repl.repl.editor import edit_in_editor
from zorac_repl.repl.large_paste import PLACEHOLDER_MIN, PasteStore, normalize_paste
from zorac_repl.repl.status_line import print_styled
from zorac_repl.repl.tall_input import taller_than_screen

__all__ = ["SecretMasker", "key_bindings", "open_editor_at_next_prompt"]


class SecretMasker(Processor):
    """Shows the value of ``/config set VLLM_API_KEY ...`` as dots while it is typed."""

    def apply_transformation(self, transformation_input: TransformationInput) -> Transformation:
        text = transformation_input.document.text
        start = secret_value_start(text) if transformation_input.lineno == 0 else None
        if start is None:
            return Transformation(transformation_input.fragments)
        masked: StyleAndTextTuples = []
        for index, fragment in enumerate(explode_text_fragments(transformation_input.fragments)):
            if index < start:
                masked.append(fragment)
            elif len(fragment) == 2:
                masked.append((fragment[0], "•"))
            else:
                masked.append((fragment[0], "•", fragment[2]))
        return Transformation(masked)


def key_bindings(pastes: PasteStore) -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        """Alt+Enter (or Esc, Enter) starts a new line instead of sending."""
        event.current_buffer.insert_text("\n")

    @bindings.add(Keys.BracketedPaste)
    def _paste(event: KeyPressEvent) -> None:
        """A paste goes in as text; a huge one as a placeholder (see large_paste.py)."""
        data = normalize_paste(event.data)
        if len(data) >= PLACEHOLDER_MIN:
            data = pastes.hold(data)
        event.current_buffer.insert_text(data)

    @bindings.add("c-c")
    def _abort(event: KeyPressEvent) -> None:
        """Ctrl+C: drop the input. One taller than the screen is erased whole: prompt_toolkit
        would leave its visible rows and the toolbar in scrollback."""
        app = event.app
        app.erase_when_done = taller_than_screen(app, event.current_buffer.text)
        app.exit(exception=KeyboardInterrupt, style="class:aborting")

    @bindings.add("c-l")
    def _clear_screen(event: KeyPressEvent) -> None:
        """Ctrl+L: clear the screen row by row, and draw the prompt on the second row.

        tmux (scroll-on-clear, on since 3.3) pushes the screen into its history whenever
        it is erased from the top-left corner, by ``ESC[2J`` or by the ``ESC[J`` that
        prompt_toolkit sends before each redraw: with the prompt on the first row, every
        later Enter pushed a blank screenful, a prompt and the toolbar into scrollback.
        """
        renderer, output = event.app.renderer, event.app.output
        renderer.erase()
        rows = output.get_size().rows
        output.write_raw("".join(f"\x1b[{row};1H\x1b[2K" for row in range(1, rows + 1)))
        output.write_raw("\x1b[2;1H")
        output.flush()
        # What a cursor report would say now: the rows below the cursor. Asking would race
        # the redraw, and the toolbar waits for the answer.
        renderer._min_available_height = rows - 1
        event.app.invalidate()

    @bindings.add("c-x", "c-e")
    def _edit(event: KeyPressEvent) -> None:
        """Ctrl-X Ctrl-E: the input in $VISUAL or $EDITOR, large pastes in full."""
        edit_in_editor(event.current_buffer, pastes, _say_editor_missing)

    return bindings


def open_editor_at_next_prompt(prompt: PromptSession[str], pastes: PasteStore) -> None:
    """``/editor``: once the next prompt is drawn, open its input in the editor."""

    def open_editor(_app: object) -> None:
        prompt.app.after_render -= open_editor
        edit_in_editor(prompt.app.current_buffer, pastes, _say_editor_missing)

    prompt.app.after_render += open_editor


def _say_editor_missing(text: str) -> None:
    run_in_terminal(lambda: print_styled(text, "yellow"))
