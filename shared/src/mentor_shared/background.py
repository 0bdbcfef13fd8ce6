"""Background work a service runs beside its HTTP app.

:class:`BackgroundTask`: a ``while True`` coroutine as one named task, started
with the service, stopped with it (cancel, then wait), and alive or not for
``/readyz``; notifications' delivery worker and profile's invitation sender use
it. :class:`TokenBucket` paces how fast such a loop releases bulk work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class BackgroundTask:
    """Runs ``loop()`` as a named asyncio task.

    Args:
        name: The task's name (seen in asyncio's debug output and task dumps).
        loop: Makes the coroutine to run; it runs until cancelled.
    """

    def __init__(self, name: str, loop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self.name = name
        self._loop = loop
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the loop (on the running event loop)."""
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended; nothing if not started."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        """Whether the loop is alive: started, not stopped, not ended by an error."""
        return self._task is not None and not self._task.done()


class TokenBucket:
    """A token bucket: refilled at ``rate_per_s`` up to ``capacity``; the whole tokens it
    holds are what may be released now, and what was released is then spent.

    Time is whatever clock the caller reads, in seconds (``time.monotonic()``, or an
    epoch timestamp); a clock that steps back refills nothing.
    """

    def __init__(self, *, rate_per_s: float, capacity: float, tokens: float = 0.0) -> None:
        """Args:
        rate_per_s: Tokens added per second.
        capacity: The most tokens it holds: how much idle time may pile up.
        tokens: What it holds at first (empty by default).
        """
        self.rate_per_s = rate_per_s
        self.capacity = capacity
        self.tokens = tokens
        self._last: float | None = None

    def allowance(self, now: float) -> int:
        """Refill for the time since the last call; the whole tokens held now."""
        if self._last is not None:
            elapsed = max(0.0, now - self._last)
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate_per_s)
        self._last = now
        return int(self.tokens)

    def spend(self, count: int) -> None:
        """Take away ``count`` tokens (what was released), never below empty."""
        self.tokens = max(0.0, self.tokens - count)
