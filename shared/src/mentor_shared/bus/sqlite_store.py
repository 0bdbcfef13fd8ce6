"""Outbox, inbox and unit of work on SQLite (the embedded default store).

A tombstone is stored with an empty payload (the column is NOT NULL in files made
before tombstones existed) and read back as None; no event is ever empty.

Rows have a lane (``lane`` 0: transactional, 1: bulk, see
:data:`mentor_shared.bus.records.BULK_LANE`); files made before lanes existed get
the column and :data:`URGENT_INDEX_SQL` from the ladder step
:data:`mentor_shared.schema.OUTBOX_LANES` (every old row is transactional).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

from mentor_shared.bus.records import (
    BULK_LANE,
    TRANSACTIONAL_LANE,
    OutboxCounts,
    OutboxRecord,
    PartitionMarks,
    Tombstone,
    outbox_fields,
    tombstone_fields,
)
from mentor_shared.events.envelope import Envelope
from mentor_shared.storage.sqlite import Connection, SqliteDatabase

BUS_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL,
    created_at REAL NOT NULL,
    sent_at REAL,
    lane INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at);
CREATE INDEX IF NOT EXISTS outbox_by_key ON outbox (key);
CREATE TABLE IF NOT EXISTS outbox_marks (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS inbox (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at REAL NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
"""


URGENT_INDEX_SQL = (
    # Not in BUS_SCHEMA: a file made before lanes has no ``lane`` to index yet.
    "CREATE INDEX IF NOT EXISTS outbox_unsent_urgent ON outbox (seq) "
    "WHERE sent_at IS NULL AND lane = 0"
)


def _record(row: Any) -> OutboxRecord:
    return OutboxRecord(
        seq=row["seq"],
        event_id=row["event_id"],
        topic=row["topic"],
        key=row["key"],
        payload=bytes(row["payload"]) or None,
        headers=OutboxRecord.headers_from_json(row["headers"]),
    )


class SqliteOutboxStore:
    """The relay's view of a service's SQLite outbox."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        """Unsent records: transactional ones first, then the rest in write order.

        A transactional record whose key has an earlier unsent bulk record waits
        for it (it comes in write order with the rest), so a key's records are
        always published in the order they were written.
        """
        # Left to itself the planner walks every unsent row by ``sent_at`` (19 ms
        # with 50,000 bulk rows waiting); the partial index holds only the few
        # transactional ones (0.3 ms).
        urgent = await self._db.fetchall(
            "SELECT seq, event_id, topic, key, payload, headers FROM outbox AS o "
            "INDEXED BY outbox_unsent_urgent "
            "WHERE sent_at IS NULL AND lane = 0 AND NOT EXISTS ("
            "SELECT 1 FROM outbox AS b WHERE b.key = o.key AND b.sent_at IS NULL "
            "AND b.lane = 1 AND b.seq < o.seq) ORDER BY seq LIMIT ?",
            (limit,),
        )
        records = [_record(row) for row in urgent]
        if len(records) < limit:
            taken = {record.seq for record in records}
            rest = await self._db.fetchall(
                "SELECT seq, event_id, topic, key, payload, headers FROM outbox "
                "WHERE sent_at IS NULL ORDER BY seq LIMIT ?",
                (limit,),
            )
            records += [_record(row) for row in rest if row["seq"] not in taken]
        return records[:limit]

    async def mark_sent(self, seqs: Sequence[int], marks: Mapping[tuple[str, int], int]) -> None:
        """Mark records sent and raise the partition marks."""
        now = time.time()
        async with self._db.transaction() as conn:
            await conn.executemany(
                "UPDATE outbox SET sent_at = ? WHERE seq = ?", [(now, seq) for seq in seqs]
            )
            await conn.executemany(
                "INSERT INTO outbox_marks (topic, partition, next_offset) VALUES (?, ?, ?) "
                "ON CONFLICT (topic, partition) DO UPDATE SET "
                "next_offset = max(next_offset, excluded.next_offset)",
                [(topic, partition, offset) for (topic, partition), offset in marks.items()],
            )

    async def partition_marks(self) -> PartitionMarks:
        """Next offset per partition the broker should hold."""
        rows = await self._db.fetchall("SELECT topic, partition, next_offset FROM outbox_marks")
        return {(row["topic"], row["partition"]): row["next_offset"] for row in rows}

    async def requeue_retained(self, since: float) -> int:
        """Mark records sent since ``since`` unsent again and forget the marks."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE outbox SET sent_at = NULL WHERE sent_at >= ?", (since,)
            )
            await conn.execute("DELETE FROM outbox_marks")
            return cursor.rowcount

    async def purge_sent_before(self, before: float) -> int:
        """Drop sent records older than the retention window."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute("DELETE FROM outbox WHERE sent_at < ?", (before,))
            return cursor.rowcount

    async def counts(self) -> OutboxCounts:
        """Unsent and retained totals, and when the oldest unsent event was written."""
        row = await self._db.fetchone(
            "SELECT sum(sent_at IS NULL) AS unsent, sum(sent_at IS NOT NULL) AS retained, "
            "min(CASE WHEN sent_at IS NULL THEN created_at END) AS oldest FROM outbox"
        )
        assert row is not None
        return OutboxCounts(
            unsent=row["unsent"] or 0, retained=row["retained"] or 0, oldest_unsent_at=row["oldest"]
        )


class SqliteUnitOfWork:
    """A write transaction on the service's SQLite file, with outbox and inbox.

    Services subclass it and build their repositories on ``self.conn`` in
    :meth:`open_repositories`.
    """

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._events: list[Envelope] = []
        self._bulk: set[int] = set()
        self._tombstones: list[Tombstone] = []
        self.committed_events: list[Envelope] = []

    @property
    def conn(self) -> Connection:
        """The connection of the open transaction."""
        if self._conn is None:
            raise RuntimeError("unit of work is not open")
        return self._conn

    def open_repositories(self) -> None:
        """Build the service's repositories on :attr:`conn` (override)."""

    async def __aenter__(self) -> Self:
        self._conn = await self.db.begin()
        self._events = []
        self._bulk = set()
        self._tombstones = []
        self.committed_events = []
        self.open_repositories()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._conn is not None:
            self._conn = None
            await self.db.end(commit=False)

    def add_event(self, event: Envelope, *, bulk: bool = False) -> None:
        """Queue an event for the outbox (``bulk``: in the bulk lane)."""
        if bulk:
            self._bulk.add(len(self._events))
        self._events.append(event)

    def add_tombstone(self, topic: str, key: str) -> None:
        """Queue a tombstone, written after this unit of work's events."""
        self._tombstones.append(Tombstone(topic, key))

    async def drop_outbox_for_subject(self, subject: str) -> int:
        """Delete every outbox row keyed by ``subject`` in the open transaction."""
        cursor = await self.conn.execute("DELETE FROM outbox WHERE key = ?", (subject,))
        return cursor.rowcount

    async def record_inbox(self, consumer: str, event_id: str) -> bool:
        """Remember a processed event; False if it was already there."""
        cursor = await self.conn.execute(
            "INSERT OR IGNORE INTO inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)",
            (consumer, event_id, time.time()),
        )
        return cursor.rowcount == 1

    async def record_inbox_many(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Record a batch of processed events; returns the ids that were new."""
        ids = list(dict.fromkeys(event_ids))
        seen: set[str] = set()
        # SQLite allows 32766 host parameters; batches are far smaller, chunk anyway.
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            async with self.conn.execute(
                f"SELECT event_id FROM inbox WHERE consumer = ? AND event_id IN ({marks})",  # noqa: S608 - only placeholders are interpolated
                (consumer, *chunk),
            ) as cursor:
                seen.update(row[0] for row in await cursor.fetchall())
        new = [event_id for event_id in ids if event_id not in seen]
        now = time.time()
        await self.conn.executemany(
            "INSERT INTO inbox (consumer, event_id, processed_at) VALUES (?, ?, ?)",
            [(consumer, event_id, now) for event_id in new],
        )
        return set(new)

    async def commit(self) -> None:
        """Write queued events to the outbox and commit."""
        conn = self.conn
        now = time.time()
        await conn.executemany(
            "INSERT INTO outbox (event_id, topic, key, payload, headers, created_at, lane) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    *outbox_fields(event),
                    now,
                    BULK_LANE if index in self._bulk else TRANSACTIONAL_LANE,
                )
                for index, event in enumerate(self._events)
            ],
        )
        await conn.executemany(
            "INSERT INTO outbox (event_id, topic, key, payload, headers, created_at) "
            "VALUES (?, ?, ?, x'', ?, ?)",
            [(*tombstone_fields(tombstone), now) for tombstone in self._tombstones],
        )
        self._tombstones = []
        self._conn = None
        await self.db.end(commit=True)
        self.committed_events, self._events = self._events, []
