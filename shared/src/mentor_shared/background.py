"""A service's background loop as one task: started with the service, stopped
with it, and alive or not for ``/readyz``.

Delivery workers and senders each run a ``while True`` coroutine beside the
HTTP server; starting it, cancelling it and waiting for it to end is the same
every time, so it is written once here.
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
