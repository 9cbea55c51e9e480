"""When the answer view draws: the time now, a callback later, a wait; the event loop's by
default, a hand-driven one in tests, so frame timing is tested without sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["LoopScheduler", "Scheduled", "Scheduler"]


class Scheduled(Protocol):
    """A callback due later, that can be called off."""

    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """The answer view's sense of time."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def call_later(self, delay: float, callback: Callable[[], object]) -> Scheduled:
        """Call ``callback`` in ``delay`` seconds."""
        ...

    async def sleep(self, delay: float) -> None:
        """Wait ``delay`` seconds."""
        ...


class LoopScheduler:
    """Real time: ``time.perf_counter`` and the running event loop."""

    def now(self) -> float:
        return time.perf_counter()

    def call_later(self, delay: float, callback: Callable[[], object]) -> Scheduled:
        return asyncio.get_running_loop().call_later(delay, callback)

    async def sleep(self, delay: float) -> None:
        await asyncio.sleep(delay)
