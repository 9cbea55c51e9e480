"""Runs long work (an answer, a summary) so that Ctrl+C stops it and SIGTERM ends the REPL.

Ctrl+C reaches the runner two ways: as a key the ``KeyReader`` reads (the REPL keeps the
terminal in raw mode) and as SIGINT (``kill -INT``, or a terminal in cooked mode).
Either cancels the task; the work's own code decides what a cancellation leaves behind.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from zorac_repl.terminal.keyboard import KeyReader

if TYPE_CHECKING:
    from zorac_repl.render.printer import Printer

__all__ = ["Runner"]

T = TypeVar("T")


class Runner:
    """Runs one piece of cancellable work at a time.

    Args:
        printer: shows a spinner for work with a label.
        keys: reads the keyboard meanwhile (``None`` off a terminal).
    """

    def __init__(self, printer: Printer, keys: KeyReader | None = None) -> None:
        self._printer = printer
        self.keys = keys
        self.terminating = False
        self._running: asyncio.Future[Any] | None = None

    async def run(self, work: Awaitable[T], label: str | None = None) -> T:
        """Await ``work``; Ctrl+C cancels it. ``label`` shows a spinner meanwhile.

        Raises:
            asyncio.CancelledError: the work was cancelled and did not handle it.
        """
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        self._running = task
        if self.keys is not None:
            self.keys.start(on_interrupt=task.cancel)
        try:
            if label is None:
                return await task
            with self._printer.console.status(label, spinner="dots"):
                return await task
        finally:
            if self.keys is not None:
                self.keys.stop()
            self._running = None
            loop.remove_signal_handler(signal.SIGINT)

    def cancel(self) -> None:
        """Stop what is running, as Ctrl+C would (the reader of a pipe went away)."""
        if self._running is not None:
            self._running.cancel()

    def terminate(self) -> None:
        """SIGTERM: stop what is running; the REPL then saves and leaves."""
        self.terminating = True
        if self._running is not None:
            self._running.cancel()
