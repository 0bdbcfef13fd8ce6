"""Suggestions share one reading of the mentors' load for a moment; whom the asker
already asked is read on every call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from matching_service.domain.model import CandidateLoad, TargetRole
from matching_service.service.loads import MentorLoads

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


class CountingReads:
    """The two reads ``MentorLoads`` makes, counted; a load read takes a moment."""

    def __init__(self) -> None:
        self.load_reads = 0
        self.partner_reads = 0
        self.open_requests = 1

    async def partners(
        self, person_id: str, role: TargetRole, *, refused_since: datetime | None = None
    ) -> frozenset[str]:
        self.partner_reads += 1
        return frozenset({f"asked-by-{person_id}"})

    async def mentor_loads(
        self, *, now: datetime, reply_ok_hours: float = 0.0
    ) -> dict[str, CandidateLoad]:
        self.load_reads += 1
        await asyncio.sleep(0.05)
        return {"mentor": CandidateLoad(open_requests=self.open_requests)}


def loads(reads: CountingReads, max_age_s: float) -> MentorLoads:
    return MentorLoads(reads, lambda: NOW, max_age_s, lambda: 48.0)  # type: ignore[arg-type]


async def test_calls_within_the_max_age_share_one_reading_and_partners_are_read_each_time() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=60.0)
    first = await shared.pair_history("a", "mentor")
    reads.open_requests = 2
    second = await shared.pair_history("b", "mentor")

    assert reads.load_reads == 1
    assert reads.partner_reads == 2
    assert first.excluded_ids == {"asked-by-a"}
    assert second.excluded_ids == {"asked-by-b"}
    assert second.load_of("mentor").open_requests == 1


async def test_an_old_reading_is_served_while_a_new_one_is_taken_in_the_background() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=0.1)
    await shared.get()
    reads.open_requests = 2
    await asyncio.sleep(0.15)

    assert (await shared.get())["mentor"].open_requests == 1, "no call waits for a reading"
    await asyncio.sleep(0.1)
    assert (await shared.get())["mentor"].open_requests == 2
    assert reads.load_reads == 2


async def test_a_failed_background_reading_keeps_the_last_one_and_is_tried_again() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=0.0)
    await shared.get()
    healthy = reads.mentor_loads

    async def broken(**_: object) -> dict[str, CandidateLoad]:
        raise OSError("disk gone")

    reads.mentor_loads = broken  # type: ignore[method-assign]
    assert (await shared.get())["mentor"].open_requests == 1
    await asyncio.sleep(0.01)
    reads.mentor_loads = healthy  # type: ignore[method-assign]
    reads.open_requests = 3
    await shared.get()
    await asyncio.sleep(0.1)
    assert (await shared.get())["mentor"].open_requests == 3


async def test_concurrent_calls_wait_for_one_reading() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=60.0)
    results = await asyncio.gather(*(shared.get() for _ in range(20)))
    assert reads.load_reads == 1
    assert all(result["mentor"].open_requests == 1 for result in results)


async def test_max_age_zero_starts_a_new_reading_on_every_call() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=0.0)
    await shared.get()
    await shared.get()
    await asyncio.sleep(0.1)
    assert reads.load_reads == 2


async def test_closing_waits_for_a_background_reading() -> None:
    reads = CountingReads()
    shared = loads(reads, max_age_s=0.0)
    await shared.get()
    reads.open_requests = 4
    await shared.get()
    await shared.close()
    assert reads.load_reads == 2
    assert (await shared.get())["mentor"].open_requests == 4
