"""Failures the bus must survive: poison events, malformed records, a crashed consumer,
a record batch the broker refuses.

Each runs on the embedded broker and, where Docker runs, on Apache Kafka with the
idempotent producer on (``bus_broker``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import UnknownError

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.schemas import MESSAGING_TOPIC, MessageSent
from tests.shared.ledger import (
    LEDGER_SCHEMA,
    BusBroker,
    LedgerDbs,
    apply_to_ledger,
    ledger_stats,
    make_consumer,
    make_relay,
    open_db,
    produce,
    wait_for_rows,
)

pytestmark = pytest.mark.broker

POISON_KEY = "key-0"
POISON_N = 3


async def refuse_poison(event: Envelope, uow: SqliteUnitOfWork) -> None:
    """Applies like the ledger, except event 3 of key-0 always fails."""
    data = event.payload()
    assert isinstance(data, MessageSent)
    if data.conversation_id == POISON_KEY and data.message_id == str(POISON_N):
        raise RuntimeError("this event cannot be applied")
    await apply_to_ledger(event, uow)


async def read_topic(bootstrap: str, topic: str, expected: int, timeout: float = 20) -> list:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    records = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def test_poison_event_goes_to_dead_letter_topic_while_later_events_flow(
    bus_broker: BusBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    settings = bus_broker.settings(tmp_path, consumer_max_attempts=3)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="poison", handler=refuse_poison)
    raw = AIOKafkaProducer(bootstrap_servers=bus_broker.bootstrap_servers, acks="all")
    try:
        await relay.start()
        await consumer.start()
        await raw.start()
        await raw.send_and_wait(MESSAGING_TOPIC, b"{not json", key=b"garbage")
        await raw.send_and_wait(
            MESSAGING_TOPIC,
            b'{"id":"7f0f8a4e-4a4b-4c4d-8e8f-000000000001","type":"no.such_event","version":1,'
            b'"source":"x","subject":"s","data":{}}',
            key=b"unknown",
        )
        await produce(producer_db, total=200, keys=10)
        stats = await wait_for_rows(consumer_db, 199, timeout=60)
        dead = await read_topic(bus_broker.bootstrap_servers, f"{MESSAGING_TOPIC}.dlq", 3)
    finally:
        await raw.stop()
        await consumer.stop()
        await relay.stop()
    assert stats.distinct == 199, "every event but the poison one is applied"
    assert stats.duplicate_side_effects == 0
    reasons = sorted(dict(r.headers)["dlq_reason"].decode().split(":")[0] for r in dead)
    assert len(dead) == 3
    assert reasons == ["handler failed 3 times", "rejected", "rejected"]
    poison = next(r for r in dead if dict(r.headers)["dlq_reason"].startswith(b"handler"))
    assert Envelope.from_bytes(poison.value).data["message_id"] == str(POISON_N)
    assert consumer.progress.retries >= 3
    assert consumer.progress.dead_lettered == 3


async def test_a_refused_batch_holds_back_the_rest_of_its_partition(
    bus_broker: BusBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    # The development broker once answered a produce request with UnknownError, which
    # the client does not retry; a later batch of the same partition that went out
    # anyway would have put a key's events out of order for good.
    settings = bus_broker.settings(tmp_path)
    producer_db, consumer_db = ledger_dbs
    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db)
    sends: dict[int, int] = {}
    refused: list[int] = []
    try:
        await relay.start()
        producer = relay._producer
        assert producer is not None
        send_batch = producer.send_batch

        async def refuse_the_second_batch_of_partition_0(
            batch: Any, topic: str, *, partition: int
        ) -> asyncio.Future[Any]:
            sends[partition] = sends.get(partition, 0) + 1
            if partition == 0 and sends[0] == 2:
                refused.append(sends[0])
                answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
                answer.set_exception(UnknownError())
                return answer
            return await send_batch(batch, topic, partition=partition)

        producer.send_batch = refuse_the_second_batch_of_partition_0  # type: ignore[method-assign]
        await consumer.start()
        # One commit: the relay's first round carries 500 records, several batches each.
        await produce(producer_db, total=3000, keys=40, per_commit=3000)
        stats = await wait_for_rows(consumer_db, 3000, timeout=60)
    finally:
        await consumer.stop()
        await relay.stop()
    assert refused == [2]
    assert relay.progress.last_error is not None
    assert "UnknownError" in relay.progress.last_error
    assert stats.distinct == 3000
    assert stats.duplicate_side_effects == 0
    assert stats.order_violations == 0


CRASHING_CONSUMER = """
import asyncio, os, signal, sys
from pathlib import Path
from tests.shared.ledger import bus_settings, make_consumer, open_db, LEDGER_SCHEMA

async def main() -> None:
    bootstrap, data_dir, crash_after = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    db = await open_db(data_dir / "consumer.sqlite3", LEDGER_SCHEMA)
    settings = bus_settings(bootstrap, data_dir)

    async def crash_after_commit(applied) -> None:
        # The transaction (ledger rows + inbox) is committed; the offsets are not.
        if crash_after and consumer.progress.applied >= crash_after:
            os.kill(os.getpid(), signal.SIGKILL)

    consumer = make_consumer(settings, db, group="crashy", after_commit=crash_after_commit)
    await consumer.start()
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_consumer_killed_between_commit_and_offset_commit_applies_nothing_twice(
    bus_broker: BusBroker, tmp_path: Path
) -> None:
    settings = bus_broker.settings(tmp_path)
    producer_db = await open_db(tmp_path / "producer.sqlite3")
    relay = make_relay(settings, producer_db)
    await relay.start()
    await produce(producer_db, total=1000, keys=20)
    await relay.publish_pending()
    await relay.stop()
    script = tmp_path / "crashing_consumer.py"
    script.write_text(CRASHING_CONSUMER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = [sys.executable, str(script), bus_broker.bootstrap_servers, str(tmp_path)]

    crashing = subprocess.Popen([*args, "1"], env=env)
    assert await asyncio.to_thread(crashing.wait, 60) == -signal.SIGKILL
    consumer_db = await open_db(tmp_path / "consumer.sqlite3", LEDGER_SCHEMA)
    before = await ledger_stats(consumer_db)
    assert 0 < before.distinct < 1000, "it crashed after applying part of the stream"

    survivor = subprocess.Popen([*args, "0"], env=env)
    try:
        after = await wait_for_rows(consumer_db, 1000, timeout=60)
        await asyncio.sleep(1.0)
        after = await ledger_stats(consumer_db)
    finally:
        survivor.send_signal(signal.SIGTERM)
        await asyncio.to_thread(survivor.wait, 20)
    duplicates = await consumer_db.fetchone(
        "SELECT count(*) AS n FROM inbox WHERE consumer = 'crashy'"
    )
    print(
        f"\nbroker={bus_broker.name} applied before crash={before.distinct} "
        f"after restart={after.distinct} "
        f"duplicate_side_effects={after.duplicate_side_effects}"
    )
    await producer_db.close()
    await consumer_db.close()
    assert after.distinct == 1000
    assert after.duplicate_side_effects == 0
    assert duplicates is not None
    assert duplicates["n"] == 1000
