"""Per-user sliding-window rate limit on posting messages (in process memory)."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most ``limit`` attempts per ``window_s`` seconds for each key.

    Held in memory: with several replicas each one counts on its own, so the
    effective limit is ``limit`` times the number of replicas a user's
    requests reach. Attempts are counted, not successes, so a client retrying
    rejected posts in a loop is slowed down too.

    Args:
        limit: Attempts allowed in one window.
        window_s: Window length in seconds.
        clock: Monotonic clock (injectable for tests).
    """

    # Sweep idle keys once the table grows past this, so memory stays bounded.
    _SWEEP_AT = 10_000

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("limit must be >= 1 and window_s > 0")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._attempts: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> int | None:
        """Count an attempt for ``key``.

        Returns:
            None when allowed, else whole seconds until the next attempt would be.
        """
        now = self._clock()
        horizon = now - self.window_s
        attempts = self._attempts.get(key)
        if attempts is None:
            if len(self._attempts) >= self._SWEEP_AT:
                self._sweep(horizon)
            attempts = self._attempts[key] = deque()
        while attempts and attempts[0] <= horizon:
            attempts.popleft()
        if len(attempts) >= self.limit:
            return max(1, math.ceil(attempts[0] - horizon))
        attempts.append(now)
        return None

    def _sweep(self, horizon: float) -> None:
        idle = [key for key, times in self._attempts.items() if not times or times[-1] <= horizon]
        for key in idle:
            del self._attempts[key]
