"""Webhook subscriptions and their deliveries on MongoDB."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from notifications_service.adapters.mongo_documents import Document, MongoRepository
from notifications_service.adapters.records import (
    MONGO,
    delivery_from,
    delivery_outcome_record,
    delivery_record,
    subscription_from,
    subscription_record,
)
from notifications_service.domain.model import Subscription, WebhookDelivery


class MongoSubscriptionRepository(MongoRepository):
    """Webhook subscriptions in ``subscriptions``."""

    async def add(self, subscription: Subscription) -> None:
        """Store a subscription."""
        await self.db.subscriptions.insert_one(
            subscription_record(subscription, MONGO), session=self.session
        )

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        cursor = self.db.subscriptions.find({}, session=self.session).sort("created_at", ASCENDING)
        return [subscription_from(doc, MONGO) async for doc in cursor]

    async def get(self, subscription_id: str) -> Subscription | None:
        """By id, or None."""
        doc = await self.db.subscriptions.find_one({"_id": subscription_id}, session=self.session)
        return None if doc is None else subscription_from(doc, MONGO)

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        result = await self.db.subscriptions.delete_one(
            {"_id": subscription_id}, session=self.session
        )
        await self.db.webhook_deliveries.delete_many(
            {"subscription_id": subscription_id, "state": "pending"}, session=self.session
        )
        return result.deleted_count == 1


class MongoWebhookDeliveryRepository(MongoRepository):
    """Webhook deliveries in ``webhook_deliveries``; one not yet made keeps whose
    event it was built from in ``subject_id``."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        doc: Document = delivery_record(delivery, MONGO)
        if subject_id is not None:
            doc["subject_id"] = subject_id
        return await self.insert_new(self.db.webhook_deliveries, doc)

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
        docs = await self.claim_due_in(self.db.webhook_deliveries, now, limit, lease_until)
        return [delivery_from(doc, MONGO) for doc in docs]

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome."""
        await self.db.webhook_deliveries.update_one(
            {"_id": delivery.id},
            {
                "$set": delivery_outcome_record(delivery, MONGO),
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
        return [delivery_from(doc, MONGO) async for doc in cursor]
