"""The notifications store on MongoDB (production): its indexes and the unit of
work over the repositories (``mongo_people``, ``mongo_notifications``,
``mongo_email_jobs``, ``mongo_webhooks``), which read and write through the
shared mapper (``records``). Times are stored as BSON dates (UTC).
"""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import MongoUnitOfWork
from notifications_service.adapters.mongo_documents import Document
from notifications_service.adapters.mongo_email_jobs import MongoEmailJobRepository
from notifications_service.adapters.mongo_notifications import (
    MongoCheckInRepository,
    MongoNotificationRepository,
)
from notifications_service.adapters.mongo_people import (
    MongoContactRepository,
    MongoErasedRepository,
    MongoPreferenceRepository,
    MongoProfileCardRepository,
)
from notifications_service.adapters.mongo_webhooks import (
    MongoSubscriptionRepository,
    MongoWebhookDeliveryRepository,
)
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.service.ports import NotificationsUnitOfWork


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


class MongoNotificationsUnitOfWork(MongoUnitOfWork, NotificationsUnitOfWork):
    """One MongoDB transaction over every notifications repository, outbox and inbox
    (the repositories' types are the port's)."""

    def __init__(
        self, client: AsyncMongoClient[Document], database: str, hooks: CommitHooks | None = None
    ) -> None:
        super().__init__(client, database)
        self.hooks = hooks or CommitHooks()
        self.created_notifications = []
        self.erased_now = []

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
