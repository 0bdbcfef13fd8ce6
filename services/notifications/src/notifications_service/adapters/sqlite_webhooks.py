"""Webhook subscriptions and their deliveries on SQLite."""

from __future__ import annotations

from datetime import datetime

from notifications_service.adapters.records import (
    DELIVERY,
    DELIVERY_OUTCOME,
    SQLITE,
    SUBSCRIPTION,
)
from notifications_service.adapters.sqlite_rows import SqliteTable
from notifications_service.domain.model import Subscription, WebhookDelivery

# Whose event a delivery not yet made was built from, so that erasure can drop it.
ORPHAN_SUBJECTS = "delivery_id NOT IN (SELECT id FROM webhook_deliveries)"


class SqliteSubscriptionRepository(
    SqliteTable[Subscription], table="subscriptions", shape=SUBSCRIPTION
):
    """Webhook subscriptions in ``subscriptions``."""

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        return await self.read_all("SELECT * FROM subscriptions ORDER BY created_at")

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        removed = await super().delete(subscription_id)
        await self.delete_rows(
            "webhook_deliveries", "subscription_id = ? AND state = 'pending'", subscription_id
        )
        await self.delete_rows("webhook_delivery_subjects", ORPHAN_SUBJECTS)
        return removed


class SqliteWebhookDeliveryRepository(
    SqliteTable[WebhookDelivery], table="webhook_deliveries", shape=DELIVERY
):
    """Webhook deliveries in ``webhook_deliveries``; whose event each one not yet
    made was built from in ``webhook_delivery_subjects``."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        if not await super().add(delivery):
            return False
        if subject_id is not None:
            subject = {"delivery_id": delivery.id, "subject_id": subject_id}
            await self.insert_record("webhook_delivery_subjects", subject)
        return True

    async def delete_for_subject(self, subject_id: str) -> int:
        """Remove the deliveries not yet made of events about someone (erasure)."""
        removed = await self.delete_rows(
            "webhook_deliveries",
            "id IN (SELECT delivery_id FROM webhook_delivery_subjects WHERE subject_id = ?)",
            subject_id,
        )
        await self.delete_rows("webhook_delivery_subjects", "subject_id = ?", subject_id)
        return removed

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[WebhookDelivery]:
        """Due pending deliveries, leased until ``lease_until``."""
        return await self.lease_due(now, limit, lease_until)

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome; once made, it no longer says whose event it was."""
        outcome = DELIVERY.record(delivery, SQLITE, DELIVERY_OUTCOME)
        await self.update_rows("webhook_deliveries", outcome, "id = ?", delivery.id)
        if delivery.state == "delivered":
            await self.delete_rows("webhook_delivery_subjects", "delivery_id = ?", delivery.id)

    async def for_subscription(self, subscription_id: str) -> list[WebhookDelivery]:
        """A subscription's deliveries, oldest first."""
        return await self.read_all(
            "SELECT * FROM webhook_deliveries WHERE subscription_id = ? ORDER BY created_at",
            subscription_id,
        )
