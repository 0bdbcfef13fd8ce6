"""What every notifications MongoDB repository shares: the transaction's
database and session, and claiming due documents of an outgoing queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


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

    async def claim_due_in(
        self,
        collection: AsyncCollection[Document],
        now: datetime,
        limit: int,
        lease_until: datetime,
        *,
        extra: Document | None = None,
    ) -> list[Document]:
        """Due pending documents of an outgoing queue (emails, webhooks), leased
        until ``lease_until`` so a second worker does not take them meanwhile;
        ``extra`` narrows the filter."""
        query: Document = {"state": "pending", "next_attempt_at": {"$lte": now}, **(extra or {})}
        cursor = (
            collection.find(query, session=self.session)
            .sort("next_attempt_at", ASCENDING)
            .limit(limit)
        )
        docs = [doc async for doc in cursor]
        if docs:
            await collection.update_many(
                {"_id": {"$in": [doc["_id"] for doc in docs]}},
                {"$set": {"next_attempt_at": lease_until}},
                session=self.session,
            )
        return docs
