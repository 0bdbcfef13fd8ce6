"""What the MongoDB store keeps of what people see in the service: in-app
notifications and check-ins."""

from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING, DESCENDING

from notifications_service.adapters.mongo_documents import Document, MongoRepository
from notifications_service.adapters.records import (
    MONGO,
    checkin_answer_record,
    checkin_from,
    checkin_record,
    notification_from,
    notification_record,
)
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import Notification
from notifications_service.service.ports import NotificationPage


class MongoNotificationRepository(MongoRepository):
    """In-app notifications in ``notifications``."""

    async def add(self, notification: Notification) -> bool:
        """Store; False if the id exists."""
        return await self.insert_new(
            self.db.notifications, notification_record(notification, MONGO)
        )

    async def get(self, notification_id: str) -> Notification | None:
        """By id, or None."""
        doc = await self.db.notifications.find_one({"_id": notification_id}, session=self.session)
        return None if doc is None else notification_from(doc, MONGO)

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
        docs = [doc async for doc in cursor]
        items = [notification_from(doc, MONGO) for doc in docs[:limit]]
        next_cursor = (items[-1].created_at, items[-1].id) if len(docs) > limit else None
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


class MongoCheckInRepository(MongoRepository):
    """Check-ins in ``checkins``."""

    async def add(self, checkin: CheckIn) -> bool:
        """Store; False if the id exists."""
        return await self.insert_new(self.db.checkins, checkin_record(checkin, MONGO))

    async def get(self, checkin_id: str) -> CheckIn | None:
        """By id, or None."""
        doc = await self.db.checkins.find_one({"_id": checkin_id}, session=self.session)
        return None if doc is None else checkin_from(doc, MONGO)

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        result = await self.db.checkins.update_one(
            {"_id": checkin.id, "answered_at": None},
            {"$set": checkin_answer_record(checkin, MONGO)},
            session=self.session,
        )
        return result.modified_count == 1

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        cursor = self.db.checkins.find({"recipient_id": recipient_id}, session=self.session).sort(
            [("created_at", DESCENDING), ("_id", ASCENDING)]
        )
        return [checkin_from(doc, MONGO) async for doc in cursor]

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
