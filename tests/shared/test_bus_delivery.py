"""The bus on a real broker: nothing lost, nothing applied twice, order kept.

``bus_broker`` runs a test on the embedded broker and, where Docker runs, on
Apache Kafka with the idempotent producer on; the broker-restart test is the
embedded broker's own (it keeps nothing across a restart; Kafka does).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from mentor_shared.bus.kafka import ensure_topics
from mentor_shared.bus.relay import OutboxRelay
from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.events.schemas import MESSAGING_TOPIC
from mentor_shared.testing.broker import EmbeddedBroker
from tests.shared.ledger import (
    BusBroker,
    LedgerDbs,
    bus_settings,
    ledger_event,
    ledger_stats,
    make_consumer,
    make_relay,
    produce,
    wait_for_rows,
)

pytestmark = pytest.mark.broker


async def test_5000_events_over_100_keys_arrive_once_each_in_key_order(
    bus_broker: BusBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    settings = bus_broker.settings(tmp_path)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumers = [make_consumer(settings, consumer_db) for _ in range(2)]
    try:
        await relay.start()
        for consumer in consumers:
            await consumer.start()
        await produce(producer_db, total=5000, keys=100)
        stats = await wait_for_rows(consumer_db, 5000, timeout=60)
        await asyncio.sleep(1.0)  # anything extra would show up now
        stats = await ledger_stats(consumer_db)
    finally:
        for consumer in consumers:
            await consumer.stop()
        await relay.stop()
    print(
        f"\nbroker={bus_broker.name} produced=5000 applied={stats.distinct} "
        f"duplicate_side_effects={stats.duplicate_side_effects}"
    )
    assert stats.distinct == 5000
    assert stats.duplicate_side_effects == 0
    assert stats.order_violations == 0
    assert relay.progress.recoveries == 0
    counts = await relay._store.counts()
    assert counts.unsent == 0


async def test_broker_restarted_empty_mid_stream_loses_nothing_and_repeats_nothing(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db)
    try:
        await relay.start()
        await consumer.start()
        producing = asyncio.create_task(produce(producer_db, total=5000, keys=100, per_commit=10))
        await wait_for_rows(consumer_db, 1500, timeout=60)
        fresh_broker.restart_empty()
        await producing
        stats = await wait_for_rows(consumer_db, 5000, timeout=90)
        await asyncio.sleep(1.0)
        stats = await ledger_stats(consumer_db)
    finally:
        await consumer.stop()
        await relay.stop()
    print(
        f"\nproduced=5000 applied={stats.distinct} "
        f"duplicates_rejected={consumer.progress.duplicates} "
        f"duplicate_side_effects={stats.duplicate_side_effects} "
        f"recoveries={relay.progress.recoveries} republished={relay.progress.republished}"
    )
    assert relay.progress.recoveries >= 1
    assert stats.distinct == 5000
    assert stats.duplicate_side_effects == 0
    # Re-published in the order first written, so a consumer that kept its position
    # past the restart (it may commit it to the new broker) skips only what it applied.
    assert relay.progress.republished > 0


async def test_a_loss_is_found_when_publishing_goes_on_before_any_check(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    # No periodic check runs: after the empty restart the relay publishes enough that
    # end offsets pass the old marks, so comparing them would find nothing lost.
    settings = bus_settings(
        fresh_broker.bootstrap_servers, tmp_path, broker_check_interval_s=3600.0
    )
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="late-reader")
    try:
        await relay.start()
        await produce(producer_db, total=400, keys=40)
        await wait_until_sent(relay)
        fresh_broker.restart_empty()
        await produce(producer_db, total=2000, keys=40, prefix="later")
        await wait_until_sent(relay, timeout=60)
        # A consumer group that had not read the first 400 yet.
        await consumer.start()
        stats = await wait_for_rows(consumer_db, 2400, timeout=60)
    finally:
        await consumer.stop()
        await relay.stop()
    assert relay.progress.recoveries == 1
    assert stats.distinct == 2400
    assert stats.order_violations == 0


async def test_a_recovery_that_fails_is_tried_again(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    # An unexpected error in a recovery (here the store, once) must not end the
    # relay's loops, and the loss must not be forgotten: another service recreates
    # the topic, the round that finds the loss writes 300 records to it, and their
    # partitions are then past the marks of the 40 written before, so no check
    # could find the loss again.
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="late-reader")
    requeue = relay._store.requeue_retained
    failures: list[float] = []

    async def fail_once(since: float) -> int:
        if not failures:
            failures.append(since)
            raise sqlite3.OperationalError("disk I/O error")
        return await requeue(since)

    relay._store.requeue_retained = fail_once  # type: ignore[method-assign]
    try:
        await relay.start()
        await produce(producer_db, total=40, keys=20, per_commit=40)
        await wait_until_sent(relay)
        fresh_broker.restart_empty()
        await ensure_topics(settings, [MESSAGING_TOPIC])
        await produce(producer_db, total=300, keys=20, per_commit=300, prefix="later")
        await wait_until_sent(relay, timeout=60)
        await consumer.start()
        stats = await wait_for_rows(consumer_db, 340, timeout=60)
    finally:
        await consumer.stop()
        await relay.stop()
    assert len(failures) == 1
    assert relay.progress.recoveries == 1
    assert relay.progress.healthy
    assert stats.distinct == 340
    assert stats.order_violations == 0


async def wait_until_sent(relay: OutboxRelay, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while (await relay._store.counts()).unsent and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert (await relay._store.counts()).unsent == 0


async def test_a_tombstone_is_published_null_after_the_events_and_consumers_skip_it(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    # A broker of its own: on the shared one, other tests' events on the topic would
    # reach this consumer too.
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    group = f"tombstones-{time.monotonic_ns()}"
    consumer = make_consumer(settings, consumer_db, group=group)
    key = f"erased-{time.monotonic_ns()}"
    raw = AIOKafkaConsumer(
        MESSAGING_TOPIC,
        bootstrap_servers=fresh_broker.bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    try:
        await relay.start()
        await consumer.start()
        async with SqliteUnitOfWork(producer_db) as uow:
            uow.add_event(ledger_event(key, 0))
            uow.add_tombstone(MESSAGING_TOPIC, key)
            await uow.commit()
        async with SqliteUnitOfWork(producer_db) as uow:
            uow.add_event(ledger_event(key, 1))  # the partition goes on after it
            await uow.commit()
        await wait_until_sent(relay)
        stats = await wait_for_rows(consumer_db, 2, timeout=30)
        await raw.start()
        values: list[bytes | None] = []
        deadline = time.monotonic() + 20
        while len(values) < 3 and time.monotonic() < deadline:
            for records in (await raw.getmany(timeout_ms=500)).values():
                values += [r.value for r in records if r.key == key.encode()]
    finally:
        await raw.stop()
        await consumer.stop()
        await relay.stop()
    assert stats.distinct == 2
    assert [value is None for value in values] == [False, True, False]
    assert consumer.progress.tombstones == 1
    assert consumer.progress.dead_lettered == 0


def _keys(published: dict[int, list[bytes]]) -> set[bytes]:
    return {key for keys in published.values() for key in keys}


async def test_a_transactional_event_is_published_before_a_bulk_backlog_written_earlier(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    # 3,000 bulk events (an import) are waiting when a sign-up's event is written:
    # the relay publishes the sign-up's first, not after the backlog.
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, _ = ledger_dbs
    for start in range(0, 3000, 500):
        async with SqliteUnitOfWork(producer_db) as uow:
            for n in range(start, start + 500):
                uow.add_event(ledger_event(f"imported-{n}", 0), bulk=True)
            await uow.commit()
    urgent = ledger_event("signup", 0)
    async with SqliteUnitOfWork(producer_db) as uow:
        uow.add_event(urgent)
        await uow.commit()
    relay = make_relay(settings, producer_db)
    raw = AIOKafkaConsumer(
        MESSAGING_TOPIC,
        bootstrap_servers=fresh_broker.bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
    )
    published: dict[int, list[bytes]] = {}
    try:
        await relay.start()
        await wait_until_sent(relay)
        await raw.start()
        deadline = time.monotonic() + 20
        # Distinct keys: on this broker the relay publishes at least once (no idempotent
        # producer), so a batch retried under load can repeat records.
        while len(_keys(published)) < 3001 and time.monotonic() < deadline:
            for tp, records in (await raw.getmany(timeout_ms=500)).items():
                published.setdefault(tp.partition, []).extend(r.key or b"" for r in records)
    finally:
        await raw.stop()
        await relay.stop()
    assert len(_keys(published)) == 3001
    (partition,) = [p for p, keys in published.items() if b"signup" in keys]
    ahead = published[partition].index(b"signup")
    print(f"\nbulk records published ahead of the sign-up on its partition: {ahead}")
    # Before lanes it came after every bulk record of its partition (about 750).
    assert ahead == 0
