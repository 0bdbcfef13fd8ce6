"""What every notifications MongoDB repository shares: the transaction's
database and session, and claiming due documents of an outgoing queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from notifications_service.adapters.records import MONGO, ShapedRepository

Document = dict[str, Any]
T = TypeVar("T")


class MongoRepository:
    """Base of the repositories: every call passes the unit of work's session, so
    state, outbox and inbox commit in one multi-document transaction."""

    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session

    async def insert_new(self, collection: AsyncCollection[Document], doc: Document) -> bool:
        """Insert unless a document with its ``_id`` exists (checked first: a
        duplicate key aborts the transaction); whether it was inserted."""
        if await collection.find_one({"_id": doc["_id"]}, session=self.session):
            return False
        await collection.insert_one(doc, session=self.session)
        return True


class MongoCollection(MongoRepository, ShapedRepository[T]):
    """A repository of one aggregate stored a document each in ``collection``, by
    ``shape``: ``class MongoCheckInRepository(MongoCollection[CheckIn],
    collection="checkins", shape=CHECKIN)``.
    """

    collection: str

    def __init_subclass__(cls, *, collection: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.collection = collection

    @property
    def docs(self) -> AsyncCollection[Document]:
        """The collection."""
        return self.db[self.collection]

    async def get(self, key: str) -> T | None:
        """The aggregate with this key, or None."""
        doc = await self.docs.find_one({"_id": key}, session=self.session)
        return None if doc is None else self.shape.read(doc, MONGO)

    async def add(self, item: T) -> bool:
        """Store unless its key exists; whether it was stored."""
        return await self.insert_new(self.docs, self.shape.record(item, MONGO))

    async def delete(self, key: str) -> bool:
        """Forget the aggregate with this key; whether there was one."""
        result = await self.docs.delete_one({"_id": key}, session=self.session)
        return result.deleted_count == 1

    async def lease_due(
        self, now: datetime, limit: int, lease_until: datetime, *, narrower: Document | None = None
    ) -> list[T]:
        """Due pending documents of an outgoing queue (emails, webhooks), leased
        until ``lease_until`` so a second worker does not take them meanwhile;
        ``narrower`` adds to the filter."""
        query: Document = {"state": "pending", "next_attempt_at": {"$lte": now}, **(narrower or {})}
        cursor = self.docs.find(query, session=self.session).sort("next_attempt_at", ASCENDING)
        items = await self.read_all(cursor.limit(limit))
        if items:
            await self.docs.update_many(
                {"_id": {"$in": [getattr(item, self.shape.key) for item in items]}},
                {"$set": {"next_attempt_at": lease_until}},
                session=self.session,
            )
        return items

    async def read_all(self, cursor: AsyncCursor[Document]) -> list[T]:
        """The aggregates a query's documents hold."""
        return [self.shape.read(doc, MONGO) async for doc in cursor]
