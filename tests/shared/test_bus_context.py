"""Correlation ids ride from the HTTP request into the event and the consumer's logs;
a failing after-commit hook does not make applied events look unprocessed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
import structlog

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.context import current_correlation_id, set_correlation_id
from mentor_shared.events.envelope import Envelope
from mentor_shared.testing.broker import EmbeddedBroker
from tests.shared.ledger import (
    LedgerDbs,
    apply_to_ledger,
    bus_settings,
    ledger_event,
    ledger_stats,
    make_consumer,
    make_relay,
    wait_for_rows,
)

pytestmark = pytest.mark.broker


async def test_correlation_id_reaches_event_headers_and_consumer_context(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, consumer_db = ledger_dbs
    seen: list[tuple[str | None, str | None]] = []

    async def remember_context(event: Envelope, uow: SqliteUnitOfWork) -> None:
        bound = structlog.contextvars.get_contextvars().get("correlation_id")
        seen.append((current_correlation_id(), bound))
        await apply_to_ledger(event, uow)

    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="ctx", handler=remember_context)
    await relay.start()
    await consumer.start()
    try:
        set_correlation_id("req-7f3a")  # what the request middleware does per request
        async with SqliteUnitOfWork(producer_db) as uow:
            event = ledger_event("key-1", 0)
            uow.add_event(event)
            await uow.commit()
        set_correlation_id(None)
        stored = await producer_db.fetchone("SELECT headers FROM outbox")
        await wait_for_rows(consumer_db, 1, timeout=30)
    finally:
        await consumer.stop()
        await relay.stop()
    assert event.correlation_id == "req-7f3a"
    assert stored is not None
    assert json.loads(stored["headers"])["correlation_id"] == "req-7f3a"
    assert seen == [("req-7f3a", "req-7f3a")]


async def test_failing_after_commit_hook_neither_retries_nor_dead_letters(
    fresh_broker: EmbeddedBroker, tmp_path: Path, ledger_dbs: LedgerDbs
) -> None:
    settings = bus_settings(fresh_broker.bootstrap_servers, tmp_path)
    producer_db, consumer_db = ledger_dbs

    async def broken_hook(applied: Sequence[Envelope]) -> None:
        raise RuntimeError("index update failed")

    relay = make_relay(settings, producer_db)
    consumer = make_consumer(settings, consumer_db, group="hook", after_commit=broken_hook)
    await relay.start()
    await consumer.start()
    try:
        async with SqliteUnitOfWork(producer_db) as uow:
            for n in range(20):
                uow.add_event(ledger_event("key-1", n))
            await uow.commit()
        await wait_for_rows(consumer_db, 20, timeout=30)
        await asyncio.sleep(1.0)
        stats = await ledger_stats(consumer_db)
    finally:
        await consumer.stop()
        await relay.stop()
    assert stats.distinct == 20
    assert stats.duplicate_side_effects == 0
    assert consumer.progress.after_commit_failures >= 1
    assert consumer.progress.retries == 0
    assert consumer.progress.dead_lettered == 0
