"""What the MongoDB store keeps of what people see in the service: in-app
notifications and check-ins."""

from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from notifications_service.adapters.mongo_documents import Document, MongoCollection
from notifications_service.adapters.records import (
    CHECKIN,
    CHECKIN_ANSWER,
    MONGO,
    NOTIFICATION,
)
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import Notification
from notifications_service.service.ports import NotificationPage


class MongoNotificationRepository(
    MongoCollection[Notification], collection="notifications", shape=NOTIFICATION
):
    """In-app notifications in ``notifications``."""

    async def mark_read(self, notification_id: str, at: datetime) -> None:
        """Set ``read_at`` once."""
        await self.db.notifications.update_one(
            {"_id": notification_id, "read_at": None},
            {"$set": {"read_at": at}},
            session=self.session,
        )

    async def page(
        self, recipient_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> NotificationPage:
        """Newest first, older than ``before``."""
        query: Document = {"recipient_id": recipient_id}
        if before is not None:
            at, last_id = before
            query["$or"] = [
                {"created_at": {"$lt": at}},
                {"created_at": at, "_id": {"$lt": last_id}},
            ]
        cursor = (
            self.db.notifications.find(query, session=self.session)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .limit(limit + 1)
        )
        found = await self.read_all(cursor)
        items = found[:limit]
        next_cursor = (items[-1].created_at, items[-1].id) if len(found) > limit else None
        unread = await self.db.notifications.count_documents(
            {"recipient_id": recipient_id, "read_at": None}, session=self.session
        )
        return NotificationPage(items=items, next_cursor=next_cursor, unread=unread)

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's notifications."""
        result = await self.db.notifications.delete_many(
            {"recipient_id": recipient_id}, session=self.session
        )
        return result.deleted_count

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every title and body."""
        pattern = re.escape(old)
        cursor = self.db.notifications.find(
            {"$or": [{"title": {"$regex": pattern}}, {"body": {"$regex": pattern}}]},
            session=self.session,
        )
        changed = 0
        async for doc in cursor:
            replaced = {key: doc[key].replace(old, new) for key in ("title", "body")}
            await self.db.notifications.update_one(
                {"_id": doc["_id"]}, {"$set": replaced}, session=self.session
            )
            changed += 1
        return changed


class MongoCheckInRepository(MongoCollection[CheckIn], collection="checkins", shape=CHECKIN):
    """Check-ins in ``checkins``."""

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        result = await self.db.checkins.update_one(
            {"_id": checkin.id, "answered_at": None},
            {"$set": CHECKIN.record(checkin, MONGO, CHECKIN_ANSWER)},
            session=self.session,
        )
        return result.modified_count == 1

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        cursor = self.db.checkins.find({"recipient_id": recipient_id}, session=self.session).sort(
            [("created_at", DESCENDING), ("_id", ASCENDING)]
        )
        return await self.read_all(cursor)

    async def round_figures(self, round_: int) -> tuple[int, list[int]]:
        """How many were sent in a round, and the ratings given."""
        cursor = self.db.checkins.find({"round": round_}, {"rating": 1}, session=self.session)
        ratings = [doc.get("rating") async for doc in cursor]
        return len(ratings), [int(r) for r in ratings if r is not None]

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's check-ins; returns how many."""
        result = await self.db.checkins.delete_many(
            {"recipient_id": recipient_id}, session=self.session
        )
        return result.deleted_count
