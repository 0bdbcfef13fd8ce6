"""Ports: what the notifications use cases need from storage and the outside world."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mentor_shared.bus.records import UnitOfWork
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import (
    Contact,
    EmailJob,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
)

CommitListener = Callable[[list[Notification]], None]
"""Told about notifications a transaction added, once it has committed."""
ErasureListener = Callable[[list[str]], None]
"""Told about people a transaction erased, once it has committed."""


class ContactRepository(Protocol):
    """Email addresses from the restricted account topic."""

    async def upsert(self, contact: Contact) -> None:
        """Add or replace someone's address and name (keeps ``verified`` once set)."""
        ...

    async def get(self, account_id: str) -> Contact | None:
        """The address of an account, or None."""
        ...

    async def mark_verified(self, account_id: str) -> None:
        """The address was confirmed."""
        ...

    async def delete(self, account_id: str) -> bool:
        """Forget the address (erasure); whether there was one."""
        ...


class ProfileCardRepository(Protocol):
    """The coarse profile facts this service keeps."""

    async def upsert(self, card: ProfileCard) -> bool:
        """Store a card unless a newer version is already stored; True if stored."""
        ...

    async def get(self, profile_id: str) -> ProfileCard | None:
        """A card, or None."""
        ...

    async def delete(self, profile_id: str) -> bool:
        """Forget a card (erasure); whether there was one."""
        ...


@dataclass(frozen=True, slots=True)
class NotificationPage:
    """One page of someone's notifications, newest first."""

    items: list[Notification]
    next_cursor: tuple[datetime, str] | None
    unread: int


class NotificationRepository(Protocol):
    """In-app notifications."""

    async def add(self, notification: Notification) -> bool:
        """Store a notification; False if one with its id already exists."""
        ...

    async def get(self, notification_id: str) -> Notification | None:
        """A notification by id, or None."""
        ...

    async def mark_read(self, notification_id: str, at: datetime) -> None:
        """Set ``read_at`` if not set yet."""
        ...

    async def page(
        self, recipient_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> NotificationPage:
        """Someone's notifications, newest first, older than ``before``."""
        ...

    async def delete_for(self, recipient_id: str) -> int:
        """Remove everything someone received (erasure)."""
        ...

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every title and body (erasure of a name
        from what others received); how many changed."""
        ...


class PreferenceRepository(Protocol):
    """Per-person channel choices."""

    async def get(self, account_id: str) -> Preferences:
        """Someone's preferences (defaults when none stored)."""
        ...

    async def save(self, preferences: Preferences) -> None:
        """Store preferences."""
        ...

    async def delete(self, account_id: str) -> bool:
        """Forget preferences (erasure); whether there were any."""
        ...


class EmailJobRepository(Protocol):
    """The email delivery log."""

    async def add(self, job: EmailJob) -> bool:
        """Store a job; False if one with its id already exists."""
        ...

    async def get(self, job_id: str) -> EmailJob | None:
        """A job by id, or None."""
        ...

    async def emailed_since(self, recipient_id: str, throttle_key: str, since: datetime) -> bool:
        """Whether an email with this throttle key went (or is going, or is held for a
        digest) out since ``since``."""
        ...

    async def held_recipients(self, limit: int) -> list[str]:
        """Up to ``limit`` people with emails held for their digest."""
        ...

    async def held_for(self, recipient_id: str) -> list[EmailJob]:
        """Someone's emails held for their digest, oldest first."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime, *, bulk_limit: int | None = None
    ) -> list[EmailJob]:
        """Pending jobs due by ``now``; their next attempt moves to ``lease_until`` so
        another worker leaves them alone while this one sends.

        Every other kind comes before bulk mail (:data:`BULK_KINDS`), of which at most
        ``bulk_limit`` are taken (no limit when None), filling what ``limit`` leaves."""
        ...

    async def save(self, job: EmailJob) -> None:
        """Store a job's new state."""
        ...

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's jobs and the addresses they hold (erasure)."""
        ...

    async def for_recipient(self, recipient_id: str) -> list[EmailJob]:
        """Someone's jobs, oldest first (their export)."""
        ...

    async def replace_text(self, old: str, new: str) -> int:
        """Write ``new`` for ``old`` in every job's subject and content (erasure of
        a name from others' emails); how many changed."""
        ...

    async def count_by_state(self) -> dict[str, int]:
        """How many jobs are in each state."""
        ...


class SubscriptionRepository(Protocol):
    """Other departments' webhooks."""

    async def add(self, subscription: Subscription) -> bool:
        """Store a subscription; False if one with its id already exists."""
        ...

    async def list(self) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    async def get(self, subscription_id: str) -> Subscription | None:
        """A subscription, or None."""
        ...

    async def delete(self, subscription_id: str) -> bool:
        """Remove a subscription and its pending deliveries; False if absent."""
        ...


class WebhookDeliveryRepository(Protocol):
    """Signed POSTs waiting for, or past, delivery."""

    async def add(self, delivery: WebhookDelivery, subject_id: str | None = None) -> bool:
        """Store a delivery, remembering whose event it was built from until it is
        made; False if one with its id already exists."""
        ...

    async def delete_for_subject(self, subject_id: str) -> int:
        """Remove the deliveries not yet made of events about someone (erasure)."""
        ...

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[WebhookDelivery]:
        """Pending deliveries due by ``now``, leased until ``lease_until``."""
        ...

    async def save(self, delivery: WebhookDelivery) -> None:
        """Store a delivery's new state."""
        ...

    async def for_subscription(self, subscription_id: str) -> list[WebhookDelivery]:
        """A subscription's deliveries, oldest first."""
        ...


class ErasedRepository(Protocol):
    """The ids of people erased here (``erased_subjects``): nothing is made for them again."""

    async def contains(self, subject_id: str) -> bool:
        """Whether the person was erased."""
        ...

    async def mark(self, subject_id: str) -> None:
        """Record an erasure, in this transaction."""
        ...


class CheckInRepository(Protocol):
    """Check-ins sent after the 3rd and 6th confirmed session."""

    async def add(self, checkin: CheckIn) -> bool:
        """Store; False if the id exists."""
        ...

    async def get(self, checkin_id: str) -> CheckIn | None:
        """By id, or None."""
        ...

    async def answer(self, checkin: CheckIn) -> bool:
        """Save the answer if it was still unanswered; False otherwise."""
        ...

    async def for_recipient(self, recipient_id: str) -> list[CheckIn]:
        """Someone's check-ins, newest first."""
        ...

    async def round_figures(self, round_: int) -> tuple[int, list[int]]:
        """How many were sent in a round, and the ratings given."""
        ...

    async def delete_for(self, recipient_id: str) -> int:
        """Remove someone's check-ins; returns how many."""
        ...


class NotificationsUnitOfWork(UnitOfWork, Protocol):
    """The service's transaction with its repositories."""

    contacts: ContactRepository
    cards: ProfileCardRepository
    notifications: NotificationRepository
    preferences: PreferenceRepository
    email_jobs: EmailJobRepository
    subscriptions: SubscriptionRepository
    webhook_deliveries: WebhookDeliveryRepository
    erased: ErasedRepository
    checkins: CheckInRepository
    created_notifications: list[Notification]
    """Notifications added in this transaction, for the live stream after commit."""
    erased_now: list[str]
    """People erased in this transaction: after commit their live streams end and,
    on SQLite, the WAL is emptied so no old page of their rows stays in it."""


class DeliveryError(Exception):
    """Sending failed; ``permanent`` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)


class EmailSender(Protocol):
    """Hands an email to a mail service (SMTP or GOV.UK Notify)."""

    async def send(self, job: EmailJob, *, mail_from: str) -> None:
        """Send one email; raises DeliveryError."""
        ...


class WebhookPoster(Protocol):
    """POSTs signed JSON to a subscriber."""

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the status code; raises DeliveryError on network failure."""
        ...


@dataclass(frozen=True, slots=True)
class SentSummary:
    """What one pass of the delivery worker did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    webhooks_delivered: int = 0
    webhooks_retried: int = 0
    webhooks_parked: int = 0
