"""Background work a service runs beside its HTTP app: one long-lived asyncio task a
component starts and stops with the service, and the token bucket that paces how
fast such a task releases bulk work (claim invitations, bulk email).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod


class BackgroundLoop(ABC):
    """A component whose work runs as one named asyncio task between ``start`` and ``stop``.

    Subclasses write ``_run`` (usually a ``while True`` loop that logs and survives a
    failed pass). Stopping cancels the task: work it leaves half done must be safe to
    pick up again on the next start (queued rows stay queued, leases expire).
    """

    def __init__(self, task_name: str) -> None:
        """Args:
        task_name: The asyncio task's name (shows in task dumps and debuggers).
        """
        self.task_name = task_name
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the background loop."""
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        """Cancel the loop and wait until it has ended; a no-op when not started."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        """Whether the loop is alive (for readiness checks)."""
        return self._task is not None and not self._task.done()

    @abstractmethod
    async def _run(self) -> None:
        """The loop itself; runs until cancelled."""


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
