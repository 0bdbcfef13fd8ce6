"""What the HTTP routes ask of the service: read and mark notifications, change
preferences, unsubscribe, manage webhook subscriptions, answer check-ins, export.

Each command opens its own unit of work and commits what it changed. Errors are
the domain's (``domain.errors``): the HTTP layer answers them by family.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from mentor_shared.clock import utc_now
from mentor_shared.sealing import Sealer
from notifications_service.domain.checkins import ROUNDS, CheckIn, RoundSummary, summarise
from notifications_service.domain.errors import (
    CheckInAnswered,
    CheckInNotFound,
    NotificationNotFound,
    PersonErased,
    SubscriptionNotFound,
)
from notifications_service.domain.model import (
    Channel,
    Contact,
    EmailJob,
    EmailKind,
    Kind,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    new_webhook_secret,
)
from notifications_service.domain.unsubscribe import read_unsubscribe_token
from notifications_service.service.ports import NotificationPage, NotificationsUnitOfWork
from notifications_service.service.webhook_guard import WebhookGuard

log = structlog.get_logger(__name__)


# --- notifications, export ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything this service holds about one person (their export)."""

    contact: Contact | None
    card: ProfileCard | None
    preferences: Preferences
    notifications: list[Notification]
    email_log: list[EmailJob]
    checkins: list[CheckIn]


async def export_personal_data(uow: NotificationsUnitOfWork, account_id: str) -> PersonalData:
    """The caller's address and name as held here, preferences, every notification
    (newest first) and their email log (the API shows its metadata only)."""
    async with uow:
        notifications: list[Notification] = []
        before: tuple[datetime, str] | None = None
        while True:
            page = await uow.notifications.page(account_id, before=before, limit=500)
            notifications += page.items
            if page.next_cursor is None:
                break
            before = page.next_cursor
        return PersonalData(
            contact=await uow.contacts.get(account_id),
            card=await uow.cards.get(account_id),
            preferences=await uow.preferences.get(account_id),
            notifications=notifications,
            email_log=await uow.email_jobs.for_recipient(account_id),
            checkins=await uow.checkins.for_recipient(account_id),
        )


async def list_notifications(
    uow: NotificationsUnitOfWork,
    recipient_id: str,
    *,
    before: tuple[datetime, str] | None,
    limit: int,
) -> NotificationPage:
    """Someone's notifications, newest first, with their unread count."""
    async with uow:
        return await uow.notifications.page(recipient_id, before=before, limit=limit)


async def mark_read(
    uow: NotificationsUnitOfWork, recipient_id: str, notification_id: str
) -> Notification:
    """Mark one of the caller's notifications read.

    Raises:
        NotificationNotFound: No such notification, or it is someone else's.
    """
    async with uow:
        notification = await uow.notifications.get(notification_id)
        if notification is None or notification.recipient_id != recipient_id:
            raise NotificationNotFound
        now = utc_now()
        if notification.mark_read(now):
            await uow.notifications.mark_read(notification_id, now)
            await uow.commit()
        return notification


# --- preferences ---------------------------------------------------------------


async def get_preferences(uow: NotificationsUnitOfWork, account_id: str) -> Preferences:
    """The caller's preferences."""
    async with uow:
        return await uow.preferences.get(account_id)


async def update_preferences(
    uow: NotificationsUnitOfWork,
    account_id: str,
    *,
    channels: dict[Kind, Channel],
    daily_digest: bool | None,
) -> Preferences:
    """Change some channels and the digest flag.

    Turning the digest off releases the emails held for it: those of kinds still
    wanted by email go out one by one straight away, the others are suppressed.

    Raises:
        NotConfigurable: A change to an account email kind.
        PersonErased: The person was erased here (an old token).
    """
    async with uow:
        if await uow.erased.contains(account_id):
            raise PersonErased(account_id)
        preferences = await uow.preferences.get(account_id)
        for kind, channel in channels.items():
            preferences.set_channel(kind, channel)
        released = 0
        if daily_digest is not None:
            if preferences.daily_digest and not daily_digest:
                now = utc_now()
                for job in await uow.email_jobs.held_for(account_id):
                    job.leave_digest(preferences, now)
                    await uow.email_jobs.save(job)
                    released += job.state == "pending"
            preferences.daily_digest = daily_digest
        await uow.preferences.save(preferences)
        await uow.commit()
    if released:
        log.info("digest_released", account_id=account_id, email_jobs=released)
    return preferences


async def unsubscribe(uow: NotificationsUnitOfWork, secret: str, token: str) -> EmailKind:
    """Stop emails of the token's kind for the token's person (for the digest's
    link: every kind a digest summarises).

    Nothing is stored for someone this service does not know (an erased account),
    so a link in an old email cannot re-create data.

    Raises:
        InvalidUnsubscribeToken: The token is forged or malformed.
        ExpiredUnsubscribeToken: The link is older than ``UNSUBSCRIBE_LINK_TTL_DAYS``.
    """
    account_id, kind = read_unsubscribe_token(secret, token)
    async with uow:
        if await uow.contacts.get(account_id) is None:
            return kind
        preferences = await uow.preferences.get(account_id)
        if preferences.unsubscribe(kind):
            await uow.preferences.save(preferences)
            await uow.commit()
            log.info("email_unsubscribed", account_id=account_id, kind=kind)
    return kind


# --- webhook subscriptions -------------------------------------------------------


async def add_subscription(
    uow: NotificationsUnitOfWork,
    guard: WebhookGuard,
    sealer: Sealer,
    *,
    url: str,
    department: str | None,
    match_events: list[str] | None,
) -> Subscription:
    """Register another department's webhook, with a new signing secret.

    The secret is stored sealed (a copy of the database alone cannot sign
    webhooks); the subscription returned carries it in clear, for the one
    answer that shows it.

    Raises:
        WebhookUrlRefused: The URL is not https or reaches a non-public address.
    """
    await guard.check(url)
    secret = new_webhook_secret()
    subscription = Subscription(
        id=str(uuid.uuid4()),
        url=url,
        secret=sealer.seal(secret),
        created_at=utc_now(),
        department=department,
        match_events=match_events,
    )
    async with uow:
        await uow.subscriptions.add(subscription)
        await uow.commit()
    log.info("subscription_added", subscription_id=subscription.id, department=department)
    return replace(subscription, secret=secret)


async def list_subscriptions_with_counts(
    uow: NotificationsUnitOfWork,
) -> list[tuple[Subscription, dict[str, int]]]:
    """Every webhook subscription, with its deliveries counted by state."""
    async with uow:
        found = []
        for subscription in await uow.subscriptions.list():
            counts: dict[str, int] = {}
            for delivery in await uow.webhook_deliveries.for_subscription(subscription.id):
                counts[delivery.state] = counts.get(delivery.state, 0) + 1
            found.append((subscription, counts))
        return found


async def delete_subscription(uow: NotificationsUnitOfWork, subscription_id: str) -> None:
    """Remove a subscription and its pending deliveries.

    Raises:
        SubscriptionNotFound: No such subscription.
    """
    async with uow:
        if not await uow.subscriptions.delete(subscription_id):
            raise SubscriptionNotFound
        await uow.commit()
    log.info("subscription_deleted", subscription_id=subscription_id)


# --- check-ins -----------------------------------------------------------------


async def pending_checkins(uow: NotificationsUnitOfWork, recipient_id: str) -> list[CheckIn]:
    """The caller's unanswered check-ins, newest first."""
    async with uow:
        return [c for c in await uow.checkins.for_recipient(recipient_id) if not c.answered]


async def get_checkin(uow: NotificationsUnitOfWork, recipient_id: str, checkin_id: str) -> CheckIn:
    """One of the caller's check-ins.

    Raises:
        CheckInNotFound: No such check-in, or it was sent to someone else.
    """
    async with uow:
        item = await uow.checkins.get(checkin_id)
    if item is None or item.recipient_id != recipient_id:
        raise CheckInNotFound
    return item


async def answer_checkin(
    uow: NotificationsUnitOfWork,
    recipient_id: str,
    checkin_id: str,
    *,
    rating: int,
    comment: str | None,
) -> CheckIn:
    """Record the caller's answer, once.

    Raises:
        CheckInNotFound: No such check-in, or it was sent to someone else.
        CheckInAnswered: It was answered already.
    """
    async with uow:
        item = await uow.checkins.get(checkin_id)
        if item is None or item.recipient_id != recipient_id:
            raise CheckInNotFound
        if item.answered:
            raise CheckInAnswered
        item.answer(rating, comment, utc_now())
        if not await uow.checkins.answer(item):
            raise CheckInAnswered
        await uow.commit()
    log.info("checkin_answered", checkin_id=checkin_id, round=item.round)
    return item


async def checkin_summary(uow: NotificationsUnitOfWork) -> list[RoundSummary]:
    """Per round: how many were sent, and (from five answers up) count, mean and
    distribution of the ratings. Comments are never included."""
    async with uow:
        summaries = []
        for round_ in ROUNDS:
            sent, ratings = await uow.checkins.round_figures(round_)
            summaries.append(summarise(round_, sent, ratings))
        return summaries
