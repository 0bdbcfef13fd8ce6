"""The live index: the in-memory matcher kept in step with the profile store.

One writer at a time: every index write (applying consumed events, reconciling,
rebuilding, snapshotting) takes :attr:`IndexKeeper.lock` and runs the CPU work in
a worker thread. Queries read :attr:`IndexKeeper.matcher` without the lock (the
matcher allows reads during a write); a rebuild swaps the reference atomically.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from matching_service.domain.model import PersonProfile
from matching_service.service.matcher import Matcher
from matching_service.service.ports import AppliedEvent
from mentor_shared.clock import as_utc, from_text, to_text, utc_now
from mentor_shared.events import Envelope
from mentor_shared.events.schemas import ProfileDeleted, ProfileUpserted
from mentor_shared.heap import HeapSettler

log = structlog.get_logger(__name__)

SNAPSHOT_SHARE = 0.05
"""Periodic snapshots take at most this share of the index writer's time: a snapshot
holds the writer, and at 50,000 profiles one takes seconds, so during a bulk import
the interval stretches to twenty times the last snapshot's duration."""

MatcherFactory = Callable[[], Matcher]
SaveSnapshot = Callable[[Matcher, Path, dict[str, Any]], Path]
ErasedAmong = Callable[[Sequence[str]], Awaitable[set[str]]]
AfterErasure = Callable[[Sequence[str]], Awaitable[None]]
ReadStored = Callable[[], Awaitable[Sequence[ProfileUpserted]]]


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What reconciling the index with the store changed."""

    indexed: int
    removed: int
    seconds: float
    gone: tuple[str, ...] = ()
    """Ids that were indexed but are no longer stored (erased meanwhile)."""


class IndexKeeper:
    """Holds the matcher, applies profile changes to it and snapshots it."""

    def __init__(
        self,
        matcher: Matcher,
        *,
        new_matcher: MatcherFactory,
        snapshot_dir: Path,
        save: SaveSnapshot,
        last_event: AppliedEvent | None = None,
        snapshot_at: datetime | None = None,
        erased_among: ErasedAmong | None = None,
        after_erasure: AfterErasure | None = None,
    ) -> None:
        """Hold ``matcher``.

        Args:
            erased_among: Which of some ids were erased (the store's
                ``erased_subjects``): their upserts are never indexed again.
            after_erasure: Runs with the removed ids after a batch that removed
                someone, once their vectors left the index and the snapshot without
                them replaced the old one (the SQLite store truncates its WAL there);
                more hooks can be added to :attr:`after_erasure`.
        """
        self.matcher = matcher
        self.lock = asyncio.Lock()
        self.last_event = last_event
        self.snapshot_at = snapshot_at
        self.loaded = False
        self._new_matcher = new_matcher
        self._snapshot_dir = snapshot_dir
        self._save = save
        self._dirty = False
        self.last_snapshot_s = 0.0
        self._erased_among = erased_among
        self.after_erasure: list[AfterErasure] = [after_erasure] if after_erasure else []
        # Indexed profiles live as long as the index: settled, no full collection walks
        # them again (mentor_shared.heap).
        self._heap = HeapSettler()

    async def apply_events(self, events: Sequence[Envelope]) -> None:
        """Apply committed profile events: upserts embedded in one batch, deletions removed.

        The last event of each profile wins within the batch (a profile deleted after an
        update in the same batch is removed, not indexed). An upsert of an erased person
        (a replay) removes them instead. A batch that removed anyone is followed by a
        snapshot at once, so no saved generation keeps their vectors or phrases.
        """
        latest: dict[str, ProfileUpserted | ProfileDeleted] = {}
        last: Envelope | None = None
        for event in events:
            if event.type not in {"profile.upserted", "profile.deleted"}:
                continue
            data = event.payload()
            if isinstance(data, ProfileUpserted | ProfileDeleted):
                latest[data.profile_id] = data
                last = event
        if last is None:
            return
        erasures = [pid for pid, data in latest.items() if isinstance(data, ProfileDeleted)]
        upserted = [pid for pid, data in latest.items() if isinstance(data, ProfileUpserted)]
        erased = await self._erased_among(upserted) if self._erased_among and upserted else set()
        deleted = erasures + sorted(erased)
        known = 0
        upserts = [
            PersonProfile.from_fields(data)
            for pid, data in latest.items()
            if isinstance(data, ProfileUpserted) and pid not in erased
        ]
        async with self.lock:
            matcher = self.matcher
            if deleted:
                known = await asyncio.to_thread(matcher.remove_profiles, deleted)
            if upserts:
                await asyncio.to_thread(matcher.index_profiles, upserts)
            self.last_event = AppliedEvent(str(last.id), last.type, as_utc(last.occurred_at))
            self._dirty = True
        self._heap.changed(len(upserts))
        if erasures or known:
            # A redelivered deletion or a replayed upsert of someone no longer indexed
            # rewrites nothing: no saved generation can hold them.
            await self.forget_saved(deleted, rewrite=known > 0)

    async def forget_saved(self, removed: Sequence[str], *, rewrite: bool = True) -> None:
        """Replace the saved snapshot with the current index, then run ``after_erasure``.

        Called after someone left the index: the previous generation (which holds their
        vectors and phrases) is deleted once the new one is in force.

        Args:
            removed: The ids that left.
            rewrite: False when none of them was indexed (only the hooks run).
        """
        try:
            if rewrite:
                await self.snapshot(force=True)
        except OSError as exc:
            # Still dirty: the periodic snapshot tries again and replaces the old one.
            log.error("index_snapshot_failed", error=str(exc))
        for hook in self.after_erasure:
            await hook(removed)

    async def reconcile(self, stored: Sequence[ProfileUpserted]) -> ReconcileReport:
        """Make the index equal to the store: index changed versions, drop unknown ids."""
        started = time.perf_counter()
        wanted = {profile.profile_id: profile for profile in stored}
        async with self.lock:
            matcher = self.matcher
            held = {profile.profile_id: profile.version for profile in matcher.profiles()}
            gone = [pid for pid in held if pid not in wanted]
            # A snapshot newer than the store cannot happen in normal operation; drop it
            # first so the store's version wins (index_profiles skips older versions).
            newer = [pid for pid, p in wanted.items() if pid in held and held[pid] > p.version]
            changed = [
                PersonProfile.from_fields(p)
                for pid, p in wanted.items()
                if held.get(pid) != p.version
            ]
            if gone or newer:
                await asyncio.to_thread(matcher.remove_profiles, [*gone, *newer])
            if changed:
                await asyncio.to_thread(matcher.index_profiles, changed)
            self._dirty = self._dirty or bool(gone or changed)
            self.loaded = True
        self._heap.settle()
        report = ReconcileReport(
            len(changed), len(gone), time.perf_counter() - started, tuple(gone)
        )
        log.info(
            "index_reconciled",
            indexed=report.indexed,
            removed=report.removed,
            seconds=round(report.seconds, 3),
        )
        return report

    async def rebuild(self, read_stored: ReadStored) -> ReconcileReport:
        """Build a fresh matcher from the store and swap it in.

        The store is read while the index is locked: a person erased before the read
        is not in it, and one erased after it is removed from the fresh matcher by their
        deletion, which waits for the lock. Read earlier, an erasure applied in between
        would be undone by the swap. Whoever the store no longer holds (erased, with their
        deletion still waiting for the lock) leaves the saved snapshot at once, as an
        erasure does: their deletion will find nobody left to remove.
        """
        started = time.perf_counter()
        async with self.lock:
            profiles = [PersonProfile.from_fields(profile) for profile in await read_stored()]

            def build() -> Matcher:
                fresh = self._new_matcher()
                fresh.index_profiles(profiles)
                return fresh

            kept = {profile.profile_id for profile in profiles}
            dropped = [p.profile_id for p in self.matcher.profiles() if p.profile_id not in kept]
            self.matcher = await asyncio.to_thread(build)
            self._dirty = True
        self._heap.settle()
        if dropped:
            await self.forget_saved(dropped)
        report = ReconcileReport(len(profiles), 0, time.perf_counter() - started)
        log.info("index_rebuilt", profiles=report.indexed, seconds=round(report.seconds, 3))
        return report

    async def snapshot(self, *, force: bool = False) -> bool:
        """Save a snapshot when the index changed since the last one; True if saved."""
        async with self.lock:
            if not (self._dirty or force):
                return False
            now = utc_now()
            last = self.last_event
            metadata: dict[str, Any] = {
                "saved_at": to_text(now),
                "last_event": None
                if last is None
                else {
                    "id": last.id,
                    "type": last.type,
                    "occurred_at": to_text(last.occurred_at),
                },
            }
            started = time.perf_counter()
            await asyncio.to_thread(self._save, self.matcher, self._snapshot_dir, metadata)
            self.last_snapshot_s = time.perf_counter() - started
            self.snapshot_at = now
            self._dirty = False
        return True

    async def run_snapshots(self, interval_s: float) -> None:
        """Snapshot while changed, every ``interval_s`` or longer (a background task).

        See :func:`snapshot_delay`.
        """
        while True:
            await asyncio.sleep(snapshot_delay(interval_s, self.last_snapshot_s))
            try:
                await self.snapshot()
            except OSError as exc:
                # A full disk must not stop the service; the next round retries.
                log.error("index_snapshot_failed", error=str(exc))


def snapshot_delay(interval_s: float, last_snapshot_s: float) -> float:
    """Seconds until the next periodic snapshot: the interval, or longer when the last
    snapshot took more than :data:`SNAPSHOT_SHARE` of it."""
    return max(interval_s, last_snapshot_s / SNAPSHOT_SHARE)


def applied_from_metadata(metadata: dict[str, Any]) -> tuple[AppliedEvent | None, datetime | None]:
    """The last event and save time recorded in a snapshot's metadata."""
    saved = metadata.get("saved_at")
    last = metadata.get("last_event")
    event = (
        None if not last else AppliedEvent(last["id"], last["type"], from_text(last["occurred_at"]))
    )
    return event, from_text(saved) if saved else None
