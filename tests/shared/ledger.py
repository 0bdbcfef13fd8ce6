"""A minimal producing service and consuming service for the bus tests.

The producer writes numbered events per key through the outbox; the consumer
appends each event it applies to a ledger table, so lost events, duplicate side
effects and per-key order are all visible in one query.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mentor_shared.bus.consumer import EventConsumer
from mentor_shared.bus.relay import OutboxRelay
from mentor_shared.bus.sqlite_store import (
    BUS_SCHEMA,
    URGENT_INDEX_SQL,
    SqliteOutboxStore,
    SqliteUnitOfWork,
)
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import MESSAGING_TOPIC, MessageSent
from mentor_shared.settings import ServiceSettings
from mentor_shared.storage.sqlite import SqliteDatabase

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    applied_seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    n INTEGER NOT NULL
);
"""


def bus_settings(bootstrap: str, data_dir: Path, **overrides: Any) -> ServiceSettings:
    """Settings for a test service on the given broker."""
    values: dict[str, Any] = {
        "service_name": "ledger",
        "environment": "test",
        "kafka_bootstrap_servers": bootstrap,
        "data_dir": data_dir,
        "kafka_partitions": 4,
        "broker_check_interval_s": 0.5,
        "broker_recovery_settle_s": 3.0,
        "consumer_retry_backoff_s": 0.05,
        "consumer_max_attempts": 3,
    }
    values.update(overrides)
    return ServiceSettings(**values)


@dataclass(frozen=True)
class BusBroker:
    """A broker the bus tests run on, and whether it supports the idempotent producer."""

    name: str
    bootstrap_servers: str
    idempotence: bool
    session_timeout_ms: int = 2_000
    """Apache Kafka refuses sessions under 6 s; the embedded broker joins in half of it."""

    def settings(self, data_dir: Path, **overrides: Any) -> ServiceSettings:
        """Settings for a test service on this broker (idempotent where it can be)."""
        values: dict[str, Any] = {
            "kafka_idempotence": self.idempotence,
            "kafka_session_timeout_ms": self.session_timeout_ms,
            **overrides,
        }
        return bus_settings(self.bootstrap_servers, data_dir, **values)


def ledger_event(key: str, n: int) -> Envelope:
    """Event number ``n`` of ``key``."""
    return new_event(
        MessageSent(
            conversation_id=key,
            message_id=str(n),
            sender_id="sender",
            recipient_id="recipient",
            sent_at=datetime.now(UTC),
        ),
        subject=key,
        source="ledger-test",
    )


LedgerDbs = tuple[SqliteDatabase, SqliteDatabase]
"""The producing service's store and the consuming service's (with the ledger)."""


async def open_db(path: Path, *extra_schema: str) -> SqliteDatabase:
    """An open SQLite file with the bus tables (and any extra schema)."""
    return await SqliteDatabase(path, [BUS_SCHEMA, URGENT_INDEX_SQL, *extra_schema]).open()


async def apply_to_ledger(event: Envelope, uow: SqliteUnitOfWork) -> None:
    """The consumer's side effect: one ledger row per applied event."""
    data = event.payload()
    assert isinstance(data, MessageSent)
    await uow.conn.execute(
        "INSERT INTO ledger (key, n) VALUES (?, ?)", (data.conversation_id, int(data.message_id))
    )


async def produce(
    db: SqliteDatabase, total: int, keys: int, per_commit: int = 50, prefix: str = "key"
) -> None:
    """Write ``total`` events over ``keys`` keys, numbered per key, through the outbox."""
    counters = [0] * keys
    written = 0
    while written < total:
        async with SqliteUnitOfWork(db) as uow:
            for _ in range(min(per_commit, total - written)):
                k = written % keys
                uow.add_event(ledger_event(f"{prefix}-{k}", counters[k]))
                counters[k] += 1
                written += 1
            await uow.commit()
        await asyncio.sleep(0)


@dataclass
class LedgerStats:
    """What the consumer's ledger shows."""

    rows: int
    distinct: int
    order_violations: int

    @property
    def duplicate_side_effects(self) -> int:
        """Events applied more than once."""
        return self.rows - self.distinct


async def ledger_stats(db: SqliteDatabase) -> LedgerStats:
    """Rows, distinct events and per-key order violations in the ledger."""
    row = await db.fetchone(
        "SELECT count(*) AS rows, count(DISTINCT key || ':' || n) AS d FROM ledger"
    )
    assert row is not None
    ordered = await db.fetchall("SELECT key, n FROM ledger ORDER BY applied_seq")
    last: dict[str, int] = {}
    violations = 0
    for r in ordered:
        if r["n"] < last.get(r["key"], -1):
            violations += 1
        last[r["key"]] = max(last.get(r["key"], -1), r["n"])
    return LedgerStats(rows=row["rows"], distinct=row["d"], order_violations=violations)


async def wait_for_rows(db: SqliteDatabase, expected: int, timeout: float) -> LedgerStats:
    """Wait until the ledger holds ``expected`` distinct events (or time runs out)."""
    deadline = time.monotonic() + timeout
    stats = await ledger_stats(db)
    while stats.distinct < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        stats = await ledger_stats(db)
    return stats


def make_relay(settings: ServiceSettings, db: SqliteDatabase) -> OutboxRelay:
    """A relay for the producer's outbox, woken by its commits."""
    relay = OutboxRelay(settings, SqliteOutboxStore(db), topics=[MESSAGING_TOPIC])
    db.commit_listeners.append(relay.wakeup)
    return relay


def make_consumer(
    settings: ServiceSettings, db: SqliteDatabase, group: str = "ledger", **kwargs: Any
) -> EventConsumer:
    """A consumer-group member applying events to the ledger."""
    return EventConsumer(
        settings,
        group_id=group,
        topics=[MESSAGING_TOPIC],
        handler=kwargs.pop("handler", apply_to_ledger),
        uow_factory=lambda: SqliteUnitOfWork(db),
        **kwargs,
    )
