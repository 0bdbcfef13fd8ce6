"""Releases queued claim invitations at a bounded rate (a background task).

Transactional email (verification, password reset, requests) must never wait
behind an import's invitations. The invitations are written to the outbox in the
bulk lane, and only as fast as ``CLAIM_INVITATIONS_PER_MINUTE`` allows, so neither
the relay, nor the broker, nor the notifications consumer ever holds thousands of
them in front of anything else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog

from mentor_shared.background import BackgroundTask, TokenBucket
from profile_service.service import admin
from profile_service.service.deps import ProfileDeps
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)


class InvitationSender:
    """A token bucket refilled at ``per_minute``, holding at most one second's worth
    (at least one); each tick releases as many invitations as it holds.

    Stopping leaves queued invitations queued for the next start.
    """

    def __init__(
        self,
        uow_factory: Callable[[], ProfileUnitOfWork],
        deps: ProfileDeps,
        *,
        per_minute: int,
        tick_s: float = 0.5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loop = BackgroundTask("claim-invitations", self._run)
        self._uow_factory = uow_factory
        self._deps = deps
        rate_per_s = per_minute / 60.0
        self._bucket = TokenBucket(rate_per_s=rate_per_s, capacity=max(1.0, rate_per_s))
        self._tick_s = tick_s
        self._monotonic = monotonic
        self.released = 0

    async def start(self) -> None:
        """Start releasing queued invitations."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop; queued invitations stay queued for the next start."""
        await self._loop.stop()

    @property
    def running(self) -> bool:
        """Whether the sender's loop is alive."""
        return self._loop.running

    def allowance(self) -> int:
        """Invitations the bucket allows now."""
        return self._bucket.allowance(self._monotonic())

    async def run_once(self) -> int:
        """Release what the bucket allows; returns how many invitations were handled."""
        allowed = self.allowance()
        if allowed < 1:
            return 0
        handled = await admin.release_invitations(self._uow_factory(), self._deps, allowed)
        self._bucket.spend(handled)
        self.released += handled
        return handled

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception as exc:  # noqa: BLE001 - the store may be briefly busy; keep going
                log.error(
                    "claim_invitations_release_failed",
                    error=type(exc).__name__,
                    detail=str(exc)[:200],
                )
            await asyncio.sleep(self._tick_s)
