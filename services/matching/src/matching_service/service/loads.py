"""The mentors' load for suggestions: one reading shared for a few seconds.

Every suggestion needs every mentor's live load (open requests, active matches,
oldest waiting request, slow reply medians). Reading and assembling it costs
about 40 ms with 5,000 live matches, more than the rest of a suggestion, so
requests share one reading, replaced in the background once it is ``max_age_s``
old (so a suggestion sees loads at most that old plus one reading's time, and
never waits for one except the very first). Nothing that must be exact relies
on it: capacity and the three-request limit are checked again inside the
transaction of the request itself, and whom the asker already asked is read
fresh on every call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import structlog

from matching_service.domain.model import CandidateLoad, PairHistory, TargetRole
from matching_service.service.ports import MatchingReadModel

log = structlog.get_logger(__name__)


async def pair_history(
    read: MatchingReadModel,
    person_id: str,
    role: TargetRole,
    *,
    now: datetime,
    reply_ok_hours: float = 0.0,
    rerequest_after: timedelta = timedelta(0),
) -> PairHistory:
    """Whom the person may not be offered again, and every mentor's load, read now.

    ``rerequest_after``: candidates the person withdrew from, or whose request expired,
    within this period are left out too (they could not be asked yet).
    """
    return PairHistory(
        excluded_ids=await read.partners(
            person_id, role, refused_since=_refused_since(now, rerequest_after)
        ),
        loads=await read.mentor_loads(now=now, reply_ok_hours=reply_ok_hours),
    )


def _refused_since(now: datetime, rerequest_after: timedelta) -> datetime | None:
    return now - rerequest_after if rerequest_after > timedelta(0) else None


class MentorLoads:
    """Every mentor's load, shared by the requests of ``max_age_s`` seconds."""

    def __init__(
        self,
        read: MatchingReadModel,
        clock: Callable[[], datetime],
        max_age_s: float,
        reply_ok_hours: Callable[[], float],
        rerequest_after: timedelta = timedelta(0),
    ) -> None:
        """Wire the cache.

        Args:
            read: Where loads are read.
            clock: The current time (ages of waiting requests are taken from it).
            max_age_s: How long one reading serves (0 reads on every call).
            reply_ok_hours: The ranking's penalty-free reply time, as it is now.
            rerequest_after: The re-request wait (see :func:`pair_history`).
        """
        self._rerequest_after = rerequest_after
        self._read = read
        self._clock = clock
        self._max_age_s = max_age_s
        self._reply_ok_hours = reply_ok_hours
        self._loads: dict[str, CandidateLoad] = {}
        self._read_at: float | None = None
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    def _stale(self) -> bool:
        return self._read_at is None or time.monotonic() - self._read_at >= self._max_age_s

    async def get(self) -> dict[str, CandidateLoad]:
        """The loads; a reading older than ``max_age_s`` is replaced in the background.

        Only the first call waits for a reading: later ones get the last reading while
        a newer one is taken, so no suggestion pays for it.
        """
        if self._read_at is None:
            async with self._lock:
                if self._read_at is None:
                    await self._refresh()
        elif self._stale() and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh_in_background())
        return self._loads

    async def _refresh(self) -> None:
        started = time.monotonic()
        self._loads = await self._read.mentor_loads(
            now=self._clock(), reply_ok_hours=self._reply_ok_hours()
        )
        self._read_at = started

    async def _refresh_in_background(self) -> None:
        try:
            await self._refresh()
        except Exception as exc:  # noqa: BLE001 - the next call tries again
            log.warning("mentor_loads_read_failed", error=f"{type(exc).__name__}: {exc}")

    async def forget(self, profile_ids: Sequence[str]) -> None:
        """Drop erased people from the shared reading (a reading is never changed in
        place: the next suggestion gets a copy without them)."""
        gone = set(profile_ids)
        if gone & self._loads.keys():
            self._loads = {pid: load for pid, load in self._loads.items() if pid not in gone}

    async def close(self) -> None:
        """Let a background reading in progress finish (before the store closes)."""
        if self._refreshing is not None:
            await self._refreshing

    async def pair_history(self, person_id: str, role: TargetRole) -> PairHistory:
        """Whom the person may not be offered again (read now) and the shared loads."""
        return PairHistory(
            excluded_ids=await self._read.partners(
                person_id,
                role,
                refused_since=_refused_since(self._clock(), self._rerequest_after),
            ),
            loads=await self.get(),
        )
