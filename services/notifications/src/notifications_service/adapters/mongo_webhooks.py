"""Webhook subscriptions and their deliveries on MongoDB."""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING

from notifications_service.adapters.mongo_documents import Document, MongoCollection
from notifications_service.adapters.records import (
    DELIVERY,
    DELIVERY_OUTCOME,
    MONGO,
    SUBSCRIPTION,
)
from notifications_service.domain.model import Subscription, WebhookDelivery


class MongoSubscriptionRepository(
    MongoCollection[Subscription], collection="subscriptions", shape=SUBSCRIPTION
):
    """Webhook subscriptions in ``subscriptions``."""

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        return await self.read_all(
            self.docs.find({}, session=self.session).sort("created_at", ASCENDING)
        )

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        removed = await super().delete(subscription_id)
        await self.db.webhook_deliveries.delete_many(
            {"subscription_id": subscription_id, "state": "pending"}, session=self.session
        )
        return removed


class MongoWebhookDeliveryRepository(
    MongoCollection[WebhookDelivery], collection="webhook_deliveries", shape=DELIVERY
):
    """Webhook deliveries in ``webhook_deliveries``; one not yet made keeps whose
    event it was built from in ``subject_id``."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        doc: Document = DELIVERY.record(delivery, MONGO)
        if subject_id is not None:
            doc["subject_id"] = subject_id
        return await self.insert_new(self.docs, doc)

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
        return await self.lease_due(now, limit, lease_until)

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome."""
        await self.db.webhook_deliveries.update_one(
            {"_id": delivery.id},
            {
                "$set": DELIVERY.record(delivery, MONGO, DELIVERY_OUTCOME),
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
        return await self.read_all(cursor)
