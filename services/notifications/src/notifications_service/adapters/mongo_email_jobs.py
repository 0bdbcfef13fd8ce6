"""The email delivery log on MongoDB (``email_jobs``)."""

from __future__ import annotations

import re
from datetime import datetime

from pymongo import ASCENDING

from notifications_service.adapters.mongo_documents import Document, MongoCollection
from notifications_service.adapters.records import (
    EMAIL_JOB,
    EMAIL_OUTCOME,
    MONGO,
    attachments_record,
    replace_in_attachments,
)
from notifications_service.domain.model import BULK_KINDS, EmailJob


class MongoEmailJobRepository(MongoCollection[EmailJob], collection="email_jobs", shape=EMAIL_JOB):
    """The email delivery log in ``email_jobs``."""

    async def _jobs(self, query: Document) -> list[EmailJob]:
        """Jobs matching ``query``, oldest first."""
        order = [("created_at", ASCENDING), ("_id", ASCENDING)]
        return await self.read_all(self.docs.find(query, session=self.session).sort(order))

    async def emailed_since(self, recipient_id: str, throttle_key: str, since: datetime) -> bool:
        """Whether an email with this key was queued (not refused) since ``since``."""
        doc = await self.db.email_jobs.find_one(
            {
                "recipient_id": recipient_id,
                "throttle_key": throttle_key,
                "created_at": {"$gte": since},
                "state": {"$in": ["pending", "sent", "digest", "digested"]},
            },
            session=self.session,
        )
        return doc is not None

    async def held_recipients(self, limit: int) -> list[str]:
        """People with emails held for their digest."""
        pipeline: list[Document] = [
            {"$match": {"state": "digest"}},
            {"$group": {"_id": "$recipient_id"}},
            {"$sort": {"_id": ASCENDING}},
            {"$limit": limit},
        ]
        cursor = await self.db.email_jobs.aggregate(pipeline, session=self.session)
        return [doc["_id"] async for doc in cursor]

    async def held_for(self, recipient_id: str) -> list[EmailJob]:
        """Someone's held emails, oldest first."""
        return await self._jobs({"recipient_id": recipient_id, "state": "digest"})

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, *, bulk_limit: int | None = None
    ) -> list[EmailJob]:
        """Due pending jobs, other kinds before bulk mail, leased until ``lease_until``."""
        bulk = sorted(BULK_KINDS)
        jobs = await self.lease_due(now, limit, lease_until, narrower={"kind": {"$nin": bulk}})
        room = limit - len(jobs) if bulk_limit is None else min(limit - len(jobs), bulk_limit)
        if room > 0:
            jobs += await self.lease_due(now, room, lease_until, narrower={"kind": {"$in": bulk}})
        return jobs

    async def save(self, job: EmailJob) -> None:
        """Store an outcome (an erased job stays erased)."""
        await self.db.email_jobs.update_one(
            {"_id": job.id},
            {"$set": EMAIL_JOB.record(job, MONGO, EMAIL_OUTCOME)},
            session=self.session,
        )

    async def for_recipient(self, recipient_id: str) -> list[EmailJob]:
        """Someone's jobs, oldest first."""
        return await self._jobs({"recipient_id": recipient_id})

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every job's subject and content."""
        cursor = self.db.email_jobs.find(
            {
                "$or": [
                    {"subject": {"$regex": re.escape(old)}},
                    {"text": {"$regex": re.escape(old)}},
                    {"html": {"$regex": re.escape(old)}},
                    {"personalisation": {"$exists": True, "$ne": {}}},
                    {"attachments": {"$exists": True, "$ne": []}},
                ]
            },
            session=self.session,
        )
        changed = 0
        async for doc in cursor:
            job = EMAIL_JOB.read(doc, MONGO)
            replaced = {
                "subject": job.subject.replace(old, new),
                "text": job.text.replace(old, new),
                "html": job.html.replace(old, new),
                "personalisation": {
                    key: value.replace(old, new) if isinstance(value, str) else value
                    for key, value in job.personalisation.items()
                },
                "attachments": attachments_record(
                    replace_in_attachments(job.attachments, old, new), MONGO
                ),
            }
            if any(replaced[key] != doc.get(key) for key in replaced):
                await self.db.email_jobs.update_one(
                    {"_id": job.id}, {"$set": replaced}, session=self.session
                )
                changed += 1
        return changed

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's jobs."""
        result = await self.db.email_jobs.delete_many(
            {"recipient_id": recipient_id}, session=self.session
        )
        return result.deleted_count

    async def count_by_state(self) -> dict[str, int]:
        """Jobs per state."""
        pipeline = [{"$group": {"_id": "$state", "n": {"$sum": 1}}}]
        cursor = await self.db.email_jobs.aggregate(pipeline, session=self.session)
        return {doc["_id"]: doc["n"] async for doc in cursor}
