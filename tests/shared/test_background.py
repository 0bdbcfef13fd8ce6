"""Background loops and the token bucket that paces them."""

from __future__ import annotations

import asyncio

from mentor_shared.background import BackgroundTask, TokenBucket


class Counting:
    def __init__(self) -> None:
        self.passes = 0
        self.task = BackgroundTask("counting", self._run)

    async def _run(self) -> None:
        while True:
            self.passes += 1
            await asyncio.sleep(0)


async def test_a_loop_runs_between_start_and_stop_and_can_start_again() -> None:
    counting = Counting()
    loop = counting.task
    assert not loop.running
    await loop.stop()  # stopping what never started is harmless
    loop.start()
    await asyncio.sleep(0.01)
    assert loop.running
    await loop.stop()
    assert not loop.running
    stopped_at = counting.passes
    await asyncio.sleep(0.01)
    assert counting.passes == stopped_at > 0
    loop.start()
    await asyncio.sleep(0.01)
    assert counting.passes > stopped_at
    await loop.stop()


def test_a_bucket_fills_at_its_rate_up_to_its_capacity_and_spends_what_was_released() -> None:
    bucket = TokenBucket(rate_per_s=10.0, capacity=10.0)
    assert bucket.allowance(100.0) == 0  # empty at first
    assert bucket.allowance(100.5) == 5
    bucket.spend(3)
    assert bucket.allowance(100.5) == 2
    assert bucket.allowance(200.0) == 10  # idle time piles up only to the capacity
    bucket.spend(50)
    assert bucket.allowance(200.0) == 0  # never below empty


def test_a_bucket_refills_nothing_when_the_clock_steps_back() -> None:
    bucket = TokenBucket(rate_per_s=1.0, capacity=60.0, tokens=60.0)
    assert bucket.allowance(1000.0) == 60
    bucket.spend(60)
    assert bucket.allowance(900.0) == 0
    assert bucket.allowance(901.0) == 1
