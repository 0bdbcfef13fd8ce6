"""Background loops and the token bucket that paces them."""

from __future__ import annotations

import asyncio

from mentor_shared.background import BackgroundLoop, TokenBucket


class Counting(BackgroundLoop):
    def __init__(self) -> None:
        super().__init__("counting")
        self.passes = 0

    async def _run(self) -> None:
        while True:
            self.passes += 1
            await asyncio.sleep(0)


async def test_a_loop_runs_between_start_and_stop_and_can_start_again() -> None:
    loop = Counting()
    assert not loop.running
    await loop.stop()  # stopping what never started is harmless
    await loop.start()
    await asyncio.sleep(0.01)
    assert loop.running
    await loop.stop()
    assert not loop.running
    stopped_at = loop.passes
    await asyncio.sleep(0.01)
    assert loop.passes == stopped_at > 0
    await loop.start()
    await asyncio.sleep(0.01)
    assert loop.passes > stopped_at
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
