"""The notifications repositories on MongoDB (production store).

Every call passes the unit of work's session, so state, outbox and inbox commit
in one multi-document transaction. Times are stored as BSON dates (UTC).
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import MongoUnitOfWork
from mentor_shared.erasure import is_erased_mongo, mark_erased_mongo
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import (
    BULK_KINDS,
    Attachment,
    Contact,
    EmailJob,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
)
from notifications_service.service.ports import (
    CheckInRepository,
    ContactRepository,
    EmailJobRepository,
    ErasedRepository,
    NotificationPage,
    NotificationRepository,
    PreferenceRepository,
    ProfileCardRepository,
    SubscriptionRepository,
    WebhookDeliveryRepository,
)

Document = dict[str, Any]


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Indexes the queries below rely on (idempotent)."""
    await db.notifications.create_index(
        [("recipient_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]
    )
    await db.email_jobs.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
    await db.email_jobs.create_index(
        [("recipient_id", ASCENDING), ("throttle_key", ASCENDING), ("created_at", ASCENDING)]
    )
    await db.email_jobs.create_index([("state", ASCENDING), ("recipient_id", ASCENDING)])
    await db.webhook_deliveries.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
    await db.webhook_deliveries.create_index("subscription_id")
    await db.webhook_deliveries.create_index("subject_id", sparse=True)
    await db.checkins.create_index([("recipient_id", ASCENDING), ("created_at", DESCENDING)])
    await db.checkins.create_index("round")


class _Repo:
    def __init__(self, db: AsyncDatabase[Document], session: AsyncClientSession) -> None:
        self.db = db
        self.session = session


class MongoContactRepository(_Repo):
    """Addresses in ``contacts``."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace an address (``verified`` kept once set)."""
        update: Document = {"$set": {"email": contact.email, "display_name": contact.display_name}}
        update["$max"] = {"verified": contact.verified}
        await self.db.contacts.update_one(
            {"_id": contact.account_id}, update, upsert=True, session=self.session
        )

    async def get(self, account_id: str) -> Contact | None:
        """An address, or None."""
        doc = await self.db.contacts.find_one({"_id": account_id}, session=self.session)
        if doc is None:
            return None
        return Contact(doc["_id"], doc["email"], doc["display_name"], bool(doc.get("verified")))

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        await self.db.contacts.update_one(
            {"_id": account_id}, {"$set": {"verified": True}}, session=self.session
        )

    async def delete(self, account_id: str) -> None:
        """Forget the address."""
        await self.db.contacts.delete_one({"_id": account_id}, session=self.session)


class MongoProfileCardRepository(_Repo):
    """Cards in ``profile_cards``; older versions never overwrite newer."""

    async def upsert(self, card: ProfileCard) -> bool:
        """Store unless a newer or equal version is stored."""
        current = await self.db.profile_cards.find_one(
            {"_id": card.profile_id}, session=self.session
        )
        if current is not None and current["version"] >= card.version:
            return False
        await self.db.profile_cards.replace_one(
            {"_id": card.profile_id},
            {
                "version": card.version,
                "display_name": card.display_name,
                "department": card.department,
                "profession": card.profession,
                "grade": card.grade,
                "region": card.region,
            },
            upsert=True,
            session=self.session,
        )
        return True

    async def get(self, profile_id: str) -> ProfileCard | None:
        """A card, or None."""
        doc = await self.db.profile_cards.find_one({"_id": profile_id}, session=self.session)
        if doc is None:
            return None
        return ProfileCard(
            profile_id=doc["_id"],
            version=doc["version"],
            display_name=doc["display_name"],
            department=doc.get("department"),
            profession=doc.get("profession"),
            grade=doc.get("grade"),
            region=doc.get("region"),
        )

    async def delete(self, profile_id: str) -> None:
        """Forget a card."""
        await self.db.profile_cards.delete_one({"_id": profile_id}, session=self.session)


def _notification(doc: Document) -> Notification:
    return Notification(
        id=doc["_id"],
        recipient_id=doc["recipient_id"],
        kind=doc["kind"],
        title=doc["title"],
        body=doc["body"],
        link=doc.get("link"),
        created_at=doc["created_at"],
        read_at=doc.get("read_at"),
    )


class MongoNotificationRepository(_Repo):
    """In-app notifications in ``notifications``."""

    async def add(self, notification: Notification) -> bool:
        """Store; False if the id exists (checked first: a duplicate key aborts the transaction)."""
        if await self.db.notifications.find_one({"_id": notification.id}, session=self.session):
            return False
        await self.db.notifications.insert_one(
            {
                "_id": notification.id,
                "recipient_id": notification.recipient_id,
                "kind": notification.kind,
                "title": notification.title,
                "body": notification.body,
                "link": notification.link,
                "created_at": notification.created_at,
                "read_at": notification.read_at,
            },
            session=self.session,
        )
        return True

    async def get(self, notification_id: str) -> Notification | None:
        """By id, or None."""
        doc = await self.db.notifications.find_one({"_id": notification_id}, session=self.session)
        return None if doc is None else _notification(doc)

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
        items = [_notification(doc) for doc in docs[:limit]]
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
            await self.db.notifications.update_one(
                {"_id": doc["_id"]},
                {
                    "$set": {
                        "title": doc["title"].replace(old, new),
                        "body": doc["body"].replace(old, new),
                    }
                },
                session=self.session,
            )
            changed += 1
        return changed


class MongoPreferenceRepository(_Repo):
    """Preferences in ``preferences``."""

    async def get(self, account_id: str) -> Preferences:
        """Stored preferences, or the defaults."""
        doc = await self.db.preferences.find_one({"_id": account_id}, session=self.session)
        if doc is None:
            return Preferences(account_id)
        return Preferences(
            account_id, channels=dict(doc["channels"]), daily_digest=bool(doc["daily_digest"])
        )

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        await self.db.preferences.replace_one(
            {"_id": preferences.account_id},
            {"channels": dict(preferences.channels), "daily_digest": preferences.daily_digest},
            upsert=True,
            session=self.session,
        )

    async def delete(self, account_id: str) -> None:
        """Forget preferences."""
        await self.db.preferences.delete_one({"_id": account_id}, session=self.session)


async def _claim_due(
    collection: AsyncCollection[Document],
    session: AsyncClientSession,
    now: datetime,
    limit: int,
    lease_until: datetime,
    *,
    extra: Document | None = None,
) -> list[Document]:
    """Due pending documents of an outgoing queue (emails, webhooks), leased until
    ``lease_until`` so a second worker does not take them meanwhile; ``extra`` narrows
    the filter."""
    query: Document = {"state": "pending", "next_attempt_at": {"$lte": now}, **(extra or {})}
    cursor = collection.find(query, session=session).sort("next_attempt_at", ASCENDING).limit(limit)
    docs = [doc async for doc in cursor]
    if docs:
        await collection.update_many(
            {"_id": {"$in": [doc["_id"] for doc in docs]}},
            {"$set": {"next_attempt_at": lease_until}},
            session=session,
        )
    return docs


def _job_doc(job: EmailJob) -> Document:
    return {
        "_id": job.id,
        "recipient_id": job.recipient_id,
        "kind": job.kind,
        "to_address": job.to_address,
        "subject": job.subject,
        "text": job.text,
        "html": job.html,
        "unsubscribe_url": job.unsubscribe_url,
        "created_at": job.created_at,
        "state": job.state,
        "attempts": job.attempts,
        "next_attempt_at": job.next_attempt_at,
        "last_error": job.last_error,
        "sent_at": job.sent_at,
        "throttle_key": job.throttle_key,
        "notification_id": job.notification_id,
        "personalisation": job.personalisation,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "content": base64.b64encode(a.content).decode("ascii"),
            }
            for a in job.attachments
        ],
        "trace_context": job.trace_context,
    }


def _job(doc: Document) -> EmailJob:
    return EmailJob(
        id=doc["_id"],
        recipient_id=doc["recipient_id"],
        kind=doc["kind"],
        to_address=doc["to_address"],
        subject=doc["subject"],
        text=doc["text"],
        html=doc["html"],
        unsubscribe_url=doc["unsubscribe_url"],
        created_at=doc["created_at"],
        state=doc["state"],
        attempts=doc["attempts"],
        next_attempt_at=doc.get("next_attempt_at"),
        last_error=doc.get("last_error"),
        sent_at=doc.get("sent_at"),
        throttle_key=doc.get("throttle_key"),
        notification_id=doc.get("notification_id"),
        personalisation=dict(doc.get("personalisation") or {}),
        attachments=[
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["content"]))
            for a in doc.get("attachments") or []
        ],
        trace_context=doc.get("trace_context"),
    )


class MongoEmailJobRepository(_Repo):
    """The email delivery log in ``email_jobs``."""

    async def add(self, job: EmailJob) -> bool:
        """Store; False if the id exists."""
        if await self.db.email_jobs.find_one({"_id": job.id}, session=self.session):
            return False
        await self.db.email_jobs.insert_one(_job_doc(job), session=self.session)
        return True

    async def get(self, job_id: str) -> EmailJob | None:
        """By id, or None."""
        doc = await self.db.email_jobs.find_one({"_id": job_id}, session=self.session)
        return None if doc is None else _job(doc)

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
        cursor = self.db.email_jobs.find(
            {"recipient_id": recipient_id, "state": "digest"}, session=self.session
        ).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_job(doc) async for doc in cursor]

    async def release_held(self, recipient_id: str, now: datetime) -> int:
        """Held emails become pending, due now."""
        result = await self.db.email_jobs.update_many(
            {"recipient_id": recipient_id, "state": "digest"},
            {"$set": {"state": "pending", "next_attempt_at": now}},
            session=self.session,
        )
        return result.modified_count

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, *, bulk_limit: int | None = None
    ) -> list[EmailJob]:
        """Due pending jobs, other kinds before bulk mail, leased until ``lease_until``."""
        bulk = sorted(BULK_KINDS)
        docs = await _claim_due(
            self.db.email_jobs,
            self.session,
            now,
            limit,
            lease_until,
            extra={"kind": {"$nin": bulk}},
        )
        room = limit - len(docs) if bulk_limit is None else min(limit - len(docs), bulk_limit)
        if room > 0:
            docs += await _claim_due(
                self.db.email_jobs,
                self.session,
                now,
                room,
                lease_until,
                extra={"kind": {"$in": bulk}},
            )
        return [_job(doc) for doc in docs]

    async def save(self, job: EmailJob) -> None:
        """Store an outcome (an erased job stays erased)."""
        await self.db.email_jobs.update_one(
            {"_id": job.id},
            {
                "$set": {
                    "state": job.state,
                    "to_address": job.to_address,
                    "attempts": job.attempts,
                    "next_attempt_at": job.next_attempt_at,
                    "last_error": job.last_error,
                    "sent_at": job.sent_at,
                    "text": job.text,
                    "html": job.html,
                    "unsubscribe_url": job.unsubscribe_url,
                    "personalisation": job.personalisation,
                    "attachments": _job_doc(job)["attachments"],
                }
            },
            session=self.session,
        )

    async def for_recipient(self, recipient_id: str) -> list[EmailJob]:
        """Someone's jobs, oldest first."""
        cursor = self.db.email_jobs.find({"recipient_id": recipient_id}, session=self.session).sort(
            [("created_at", ASCENDING), ("_id", ASCENDING)]
        )
        return [_job(doc) async for doc in cursor]

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
            job = _job(doc)
            replaced = {
                "subject": job.subject.replace(old, new),
                "text": job.text.replace(old, new),
                "html": job.html.replace(old, new),
                "personalisation": {
                    key: value.replace(old, new) if isinstance(value, str) else value
                    for key, value in job.personalisation.items()
                },
            }
            job.attachments = [
                Attachment(
                    a.filename, a.content_type, a.content.replace(old.encode(), new.encode())
                )
                for a in job.attachments
            ]
            replaced["attachments"] = _job_doc(job)["attachments"]
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


def _subscription(doc: Document) -> Subscription:
    return Subscription(
        id=doc["_id"],
        url=doc["url"],
        secret=doc["secret"],
        created_at=doc["created_at"],
        department=doc.get("department"),
        match_events=doc.get("match_events"),
    )


class MongoSubscriptionRepository(_Repo):
    """Webhook subscriptions in ``subscriptions``."""

    async def add(self, subscription: Subscription) -> None:
        """Store a subscription."""
        await self.db.subscriptions.insert_one(
            {
                "_id": subscription.id,
                "url": subscription.url,
                "secret": subscription.secret,
                "created_at": subscription.created_at,
                "department": subscription.department,
                "match_events": subscription.match_events,
            },
            session=self.session,
        )

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        cursor = self.db.subscriptions.find({}, session=self.session).sort("created_at", ASCENDING)
        return [_subscription(doc) async for doc in cursor]

    async def get(self, subscription_id: str) -> Subscription | None:
        """By id, or None."""
        doc = await self.db.subscriptions.find_one({"_id": subscription_id}, session=self.session)
        return None if doc is None else _subscription(doc)

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        result = await self.db.subscriptions.delete_one(
            {"_id": subscription_id}, session=self.session
        )
        await self.db.webhook_deliveries.delete_many(
            {"subscription_id": subscription_id, "state": "pending"}, session=self.session
        )
        return result.deleted_count == 1


def _delivery(doc: Document) -> WebhookDelivery:
    return WebhookDelivery(
        id=doc["_id"],
        subscription_id=doc["subscription_id"],
        body=doc["body"],
        created_at=doc["created_at"],
        state=doc["state"],
        attempts=doc["attempts"],
        next_attempt_at=doc.get("next_attempt_at"),
        last_error=doc.get("last_error"),
        delivered_at=doc.get("delivered_at"),
    )


class MongoWebhookDeliveryRepository(_Repo):
    """Webhook deliveries in ``webhook_deliveries``."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        if await self.db.webhook_deliveries.find_one({"_id": delivery.id}, session=self.session):
            return False
        doc: Document = {
            "_id": delivery.id,
            "subscription_id": delivery.subscription_id,
            "body": delivery.body,
            "created_at": delivery.created_at,
            "state": delivery.state,
            "attempts": delivery.attempts,
            "next_attempt_at": delivery.next_attempt_at,
            "last_error": delivery.last_error,
            "delivered_at": delivery.delivered_at,
        }
        if subject_id is not None:
            doc["subject_id"] = subject_id
        await self.db.webhook_deliveries.insert_one(doc, session=self.session)
        return True

    async def delete_for_subject(self, subject_id: str) -> int:
        """Remove the deliveries not yet made of events about someone."""
        result = await self.db.webhook_deliveries.delete_many(
            {"subject_id": subject_id}, session=self.session
        )
        return result.deleted_count

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[WebhookDelivery]:
        """Due pending deliveries, leased until ``lease_until``."""
        docs = await _claim_due(self.db.webhook_deliveries, self.session, now, limit, lease_until)
        return [_delivery(doc) for doc in docs]

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome."""
        await self.db.webhook_deliveries.update_one(
            {"_id": delivery.id},
            {
                "$set": {
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "next_attempt_at": delivery.next_attempt_at,
                    "last_error": delivery.last_error,
                    "delivered_at": delivery.delivered_at,
                    "body": delivery.body,
                },
                # Once made, the delivery no longer says whose event it was.
                **({"$unset": {"subject_id": ""}} if delivery.state == "delivered" else {}),
            },
            session=self.session,
        )

    async def for_subscription(self, subscription_id: str) -> list[WebhookDelivery]:
        """A subscription's deliveries, oldest first."""
        cursor = self.db.webhook_deliveries.find(
            {"subscription_id": subscription_id}, session=self.session
        ).sort("created_at", ASCENDING)
        return [_delivery(doc) async for doc in cursor]


class MongoErasedRepository(_Repo):
    """Erased ids in ``erased_subjects``."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        return await is_erased_mongo(self.db, subject_id, session=self.session)

    async def mark(self, subject_id: str) -> None:
        """Record an erasure in this transaction."""
        await mark_erased_mongo(self.db, subject_id, session=self.session)


def _checkin_doc(checkin: CheckIn) -> Document:
    return {
        "_id": checkin.id,
        "recipient_id": checkin.recipient_id,
        "match_id": checkin.match_id,
        "conversation_id": checkin.conversation_id,
        "round": checkin.round,
        "created_at": checkin.created_at,
        "rating": checkin.rating,
        "comment": checkin.comment,
        "answered_at": checkin.answered_at,
    }


def _checkin(doc: Document) -> CheckIn:
    return CheckIn(
        id=doc["_id"],
        recipient_id=doc["recipient_id"],
        match_id=doc["match_id"],
        conversation_id=doc["conversation_id"],
        round=doc["round"],
        created_at=doc["created_at"],
        rating=doc.get("rating"),
        comment=doc.get("comment"),
        answered_at=doc.get("answered_at"),
    )


class MongoCheckInRepository(_Repo):
    """Check-ins in ``checkins``."""

    async def add(self, checkin: CheckIn) -> bool:
        """Store; False if the id exists (checked first: a duplicate key aborts the transaction)."""
        if await self.db.checkins.find_one({"_id": checkin.id}, session=self.session):
            return False
        await self.db.checkins.insert_one(_checkin_doc(checkin), session=self.session)
        return True

    async def get(self, checkin_id: str) -> CheckIn | None:
        """By id, or None."""
        doc = await self.db.checkins.find_one({"_id": checkin_id}, session=self.session)
        return _checkin(doc) if doc else None

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        result = await self.db.checkins.update_one(
            {"_id": checkin.id, "answered_at": None},
            {
                "$set": {
                    "rating": checkin.rating,
                    "comment": checkin.comment,
                    "answered_at": checkin.answered_at,
                }
            },
            session=self.session,
        )
        return result.modified_count == 1

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        cursor = self.db.checkins.find({"recipient_id": recipient_id}, session=self.session).sort(
            [("created_at", -1), ("_id", 1)]
        )
        return [_checkin(doc) async for doc in cursor]

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


class MongoNotificationsUnitOfWork(MongoUnitOfWork):
    """One MongoDB transaction over every notifications repository, outbox and inbox."""

    contacts: ContactRepository
    cards: ProfileCardRepository
    notifications: NotificationRepository
    preferences: PreferenceRepository
    email_jobs: EmailJobRepository
    subscriptions: SubscriptionRepository
    webhook_deliveries: WebhookDeliveryRepository
    erased: ErasedRepository
    checkins: CheckInRepository

    def __init__(
        self, client: AsyncMongoClient[Document], database: str, hooks: CommitHooks | None = None
    ) -> None:
        super().__init__(client, database)
        self.hooks = hooks or CommitHooks()
        self.created_notifications: list[Notification] = []
        self.erased_now: list[str] = []

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's session."""
        db, session = self.db, self.session
        self.contacts = MongoContactRepository(db, session)
        self.cards = MongoProfileCardRepository(db, session)
        self.notifications = MongoNotificationRepository(db, session)
        self.checkins = MongoCheckInRepository(db, session)
        self.preferences = MongoPreferenceRepository(db, session)
        self.email_jobs = MongoEmailJobRepository(db, session)
        self.subscriptions = MongoSubscriptionRepository(db, session)
        self.webhook_deliveries = MongoWebhookDeliveryRepository(db, session)
        self.erased = MongoErasedRepository(db, session)
        self.created_notifications = []
        self.erased_now = []

    async def commit(self) -> None:
        """Commit, then run the hooks (live stream, erasure follow-ups)."""
        await super().commit()
        await self.hooks.committed(self)
