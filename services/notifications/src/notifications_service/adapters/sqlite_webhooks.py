"""Webhook subscriptions and their deliveries on SQLite."""

from __future__ import annotations

from datetime import datetime

from mentor_shared.clock import to_epoch
from notifications_service.adapters.records import (
    SQLITE,
    delivery_from,
    delivery_outcome_record,
    delivery_record,
    subscription_from,
    subscription_record,
)
from notifications_service.adapters.sqlite_rows import SqliteRepository
from notifications_service.domain.model import Subscription, WebhookDelivery

# Whose event a delivery not yet made was built from, so that erasure can drop it.
ORPHAN_SUBJECTS = "delivery_id NOT IN (SELECT id FROM webhook_deliveries)"


class SqliteSubscriptionRepository(SqliteRepository):
    """Webhook subscriptions in ``subscriptions``."""

    async def add(self, subscription: Subscription) -> None:
        """Store a subscription."""
        await self.insert_record("subscriptions", subscription_record(subscription, SQLITE))

    async def list(self) -> list[Subscription]:
        """All, oldest first."""
        rows = await self.fetch_rows("SELECT * FROM subscriptions ORDER BY created_at")
        return [subscription_from(row, SQLITE) for row in rows]

    async def get(self, subscription_id: str) -> Subscription | None:
        """By id, or None."""
        row = await self.fetch_row("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        return None if row is None else subscription_from(row, SQLITE)

    async def delete(self, subscription_id: str) -> bool:
        """Remove it and its pending deliveries."""
        removed = await self.delete_rows("subscriptions", "id = ?", subscription_id)
        await self.delete_rows(
            "webhook_deliveries", "subscription_id = ? AND state = 'pending'", subscription_id
        )
        await self.delete_rows("webhook_delivery_subjects", ORPHAN_SUBJECTS)
        return removed == 1


class SqliteWebhookDeliveryRepository(SqliteRepository):
    """Webhook deliveries in ``webhook_deliveries``; whose event each one not yet
    made was built from in ``webhook_delivery_subjects``."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store, remembering whose event it came from; False if the id exists."""
        if not await self.insert_record("webhook_deliveries", delivery_record(delivery, SQLITE)):
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
        rows = await self.fetch_rows(
            "SELECT * FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at LIMIT ?",
            (to_epoch(now), limit),
        )
        deliveries = [delivery_from(row, SQLITE) for row in rows]
        await self.conn.executemany(
            "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?",
            [(to_epoch(lease_until), d.id) for d in deliveries],
        )
        return deliveries

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store an outcome; once made, it no longer says whose event it was."""
        outcome = delivery_outcome_record(delivery, SQLITE)
        await self.update_rows("webhook_deliveries", outcome, "id = ?", delivery.id)
        if delivery.state == "delivered":
            await self.delete_rows("webhook_delivery_subjects", "delivery_id = ?", delivery.id)

    async def for_subscription(self, subscription_id: str) -> list[WebhookDelivery]:
        """A subscription's deliveries, oldest first."""
        rows = await self.fetch_rows(
            "SELECT * FROM webhook_deliveries WHERE subscription_id = ? ORDER BY created_at",
            (subscription_id,),
        )
        return [delivery_from(row, SQLITE) for row in rows]
