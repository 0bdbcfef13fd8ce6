"""Outbox, inbox and unit of work on MongoDB (production store).

Needs a replica set: state, outbox and inbox are written in one multi-document
transaction. Outbox order comes from a counter document incremented inside the
transaction, so concurrent writers serialise on it (a write conflict aborts and
the caller retries, as MongoDB's transaction API expects).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Self

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

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

Document = dict[str, Any]


async def ensure_bus_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes the outbox and inbox rely on (idempotent)."""
    await db.outbox.create_index([("sent_at", ASCENDING), ("_id", ASCENDING)])
    await db.outbox.create_index("event_id", unique=True)
    await db.outbox.create_index("key")


async def ensure_lane_index(db: AsyncDatabase[Document]) -> None:
    """The index of unsent records by lane (idempotent; a later ladder step)."""
    await db.outbox.create_index([("sent_at", ASCENDING), ("lane", ASCENDING), ("_id", ASCENDING)])


def _record(doc: Document) -> OutboxRecord:
    return OutboxRecord(
        seq=doc["_id"],
        event_id=doc["event_id"],
        topic=doc["topic"],
        key=doc["key"],
        payload=None if doc["payload"] is None else bytes(doc["payload"]),
        headers=OutboxRecord.headers_from_json(doc["headers"]),
    )


class MongoOutboxStore:
    """The relay's view of a service's MongoDB outbox."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._db = db

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        """Unsent records: transactional ones first, then the rest in write order.

        A transactional record whose key has an earlier unsent bulk record waits
        for it, as on SQLite. Documents written before lanes existed have no
        ``lane`` and are transactional.
        """
        outbox = self._db.outbox
        records: list[OutboxRecord] = []
        urgent = outbox.find({"sent_at": None, "lane": {"$ne": BULK_LANE}}).sort("_id", ASCENDING)
        async for doc in urgent.limit(limit):
            earlier_bulk = await outbox.find_one(
                {"key": doc["key"], "sent_at": None, "lane": BULK_LANE, "_id": {"$lt": doc["_id"]}},
                {"_id": 1},
            )
            if earlier_bulk is None:
                records.append(_record(doc))
        if len(records) < limit:
            taken = {record.seq for record in records}
            rest = outbox.find({"sent_at": None}).sort("_id", ASCENDING).limit(limit)
            records += [_record(doc) async for doc in rest if doc["_id"] not in taken]
        return records[:limit]

    async def mark_sent(self, seqs: Sequence[int], marks: Mapping[tuple[str, int], int]) -> None:
        """Mark records sent and raise the partition marks."""
        now = time.time()
        await self._db.outbox.update_many({"_id": {"$in": list(seqs)}}, {"$set": {"sent_at": now}})
        for (topic, partition), offset in marks.items():
            await self._db.outbox_marks.update_one(
                {"_id": f"{topic}:{partition}"},
                {
                    "$max": {"next_offset": offset},
                    "$set": {"topic": topic, "partition": partition},
                },
                upsert=True,
            )

    async def partition_marks(self) -> PartitionMarks:
        """Next offset per partition the broker should hold."""
        return {
            (doc["topic"], doc["partition"]): doc["next_offset"]
            async for doc in self._db.outbox_marks.find({})
        }

    async def requeue_retained(self, since: float) -> int:
        """Mark records sent since ``since`` unsent again and forget the marks."""
        result = await self._db.outbox.update_many(
            {"sent_at": {"$gte": since}}, {"$set": {"sent_at": None}}
        )
        await self._db.outbox_marks.delete_many({})
        return result.modified_count

    async def purge_sent_before(self, before: float) -> int:
        """Drop sent records older than the retention window."""
        result = await self._db.outbox.delete_many({"sent_at": {"$lt": before, "$ne": None}})
        return result.deleted_count

    async def counts(self) -> OutboxCounts:
        """Unsent and retained totals, and when the oldest unsent event was written."""
        unsent = await self._db.outbox.count_documents({"sent_at": None})
        retained = await self._db.outbox.count_documents({"sent_at": {"$ne": None}})
        oldest = await self._db.outbox.find_one(
            {"sent_at": None}, sort=[("_id", ASCENDING)], projection={"created_at": 1}
        )
        created = oldest.get("created_at") if oldest else None
        return OutboxCounts(
            unsent=unsent,
            retained=retained,
            oldest_unsent_at=float(created) if created is not None else None,
        )


class MongoUnitOfWork:
    """A multi-document transaction with outbox and inbox.

    Services subclass it and build their repositories on ``self.db`` and
    ``self.session`` in :meth:`open_repositories`.
    """

    def __init__(self, client: AsyncMongoClient[Document], database: str) -> None:
        self.client = client
        self.db: AsyncDatabase[Document] = client[database]
        self._session: AsyncClientSession | None = None
        self._events: list[Envelope] = []
        self._bulk: set[int] = set()
        self._tombstones: list[Tombstone] = []
        self.committed_events: list[Envelope] = []

    @property
    def session(self) -> AsyncClientSession:
        """The session of the open transaction."""
        if self._session is None:
            raise RuntimeError("unit of work is not open")
        return self._session

    def open_repositories(self) -> None:
        """Build the service's repositories (override)."""

    async def __aenter__(self) -> Self:
        self._session = self.client.start_session()
        await self._session.start_transaction()
        self._events = []
        self._bulk = set()
        self._tombstones = []
        self.committed_events = []
        self.open_repositories()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                if session.in_transaction:
                    await session.abort_transaction()
            finally:
                await session.end_session()

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
        result = await self.db.outbox.delete_many({"key": subject}, session=self.session)
        return result.deleted_count

    async def record_inbox(self, consumer: str, event_id: str) -> bool:
        """Remember a processed event; False if it was already there.

        A duplicate-key insert would abort the whole transaction, so look first;
        a concurrent twin makes the transaction conflict and retry instead.
        """
        key = f"{consumer}:{event_id}"
        if await self.db.inbox.find_one({"_id": key}, session=self.session) is not None:
            return False
        await self.db.inbox.insert_one(
            {"_id": key, "processed_at": time.time()}, session=self.session
        )
        return True

    async def record_inbox_many(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Record a batch of processed events; returns the ids that were new."""
        keys = {f"{consumer}:{event_id}": event_id for event_id in event_ids}
        cursor = self.db.inbox.find({"_id": {"$in": list(keys)}}, {"_id": 1}, session=self.session)
        seen = {doc["_id"] async for doc in cursor}
        new = {key: event_id for key, event_id in keys.items() if key not in seen}
        if new:
            now = time.time()
            await self.db.inbox.insert_many(
                [{"_id": key, "processed_at": now} for key in new], session=self.session
            )
        return set(new.values())

    async def commit(self) -> None:
        """Write queued events, then tombstones, to the outbox and commit the transaction."""
        session = self.session
        now = time.time()
        rows: list[tuple[str, str, str, bytes | None, str, int]] = [
            (*outbox_fields(event), BULK_LANE if index in self._bulk else TRANSACTIONAL_LANE)
            for index, event in enumerate(self._events)
        ]
        for tombstone in self._tombstones:
            event_id, topic, key, headers = tombstone_fields(tombstone)
            rows.append((event_id, topic, key, None, headers, TRANSACTIONAL_LANE))
        for event_id, topic, key, payload, headers, lane in rows:
            counter = await self.db.counters.find_one_and_update(
                {"_id": "outbox"},
                {"$inc": {"seq": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
                session=session,
            )
            assert counter is not None  # upsert with ReturnDocument.AFTER always returns one
            await self.db.outbox.insert_one(
                {
                    "_id": counter["seq"],
                    "event_id": event_id,
                    "topic": topic,
                    "key": key,
                    "payload": payload,
                    "headers": headers,
                    "created_at": now,
                    "sent_at": None,
                    "lane": lane,
                },
                session=session,
            )
        await session.commit_transaction()
        self.committed_events, self._events, self._tombstones = self._events, [], []
        self._bulk = set()
        await self.__aexit__(None, None, None)
