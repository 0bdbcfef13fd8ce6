"""Use cases: turn events into notifications and emails, and serve people's requests.

Event handlers (``on_*``) run inside the consumer's unit of work, which also
records the event in the inbox and commits; they never commit themselves.
Command handlers open their own unit of work.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from mentor_shared.events.envelope import new_event
from mentor_shared.events.schemas import (
    AccountClaimRequested,
    AccountPasswordResetRequested,
    AccountRegistered,
    AccountVerificationRequested,
    MatchEnded,
    MatchRequested,
    MessageSent,
    NotificationSent,
    ProfileUpserted,
    PublicMatchEvent,
    SessionScheduled,
)
from mentor_shared.sealing import Sealer
from mentor_shared.tracing import current_trace_context
from notifications_service.calendar_invite import session_invite
from notifications_service.domain import messages
from notifications_service.domain.anonymise import coarse_time, grade_band
from notifications_service.domain.checkins import (
    ROUNDS,
    CheckIn,
    RoundSummary,
    summarise,
)
from notifications_service.domain.checkins import checkin_id as make_checkin_id
from notifications_service.domain.errors import (
    CheckInAnswered,
    CheckInNotFound,
    NotificationNotFound,
    PersonErased,
    SubscriptionNotFound,
)
from notifications_service.domain.messages import Letter
from notifications_service.domain.model import (
    Attachment,
    Channel,
    Contact,
    EmailJob,
    EmailKind,
    Kind,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
    derived_id,
    new_webhook_secret,
    utcnow,
)
from notifications_service.domain.unsubscribe import (
    make_unsubscribe_token,
    read_unsubscribe_token,
)
from notifications_service.service.ports import NotificationPage, NotificationsUnitOfWork
from notifications_service.service.webhook_guard import WebhookGuard
from notifications_service.templates import render_html, render_text

log = structlog.get_logger(__name__)

SOURCE = "notifications"
SOMEONE = "Someone"
"""Used when a person's profile has not arrived (yet); never an id."""


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """What the handlers need from settings."""

    public_url: str
    api_url: str
    unsubscribe_secret: str
    message_email_window: timedelta = timedelta(hours=1)
    unsubscribe_link_ttl: timedelta = timedelta(days=90)

    def unsubscribe_url(self, account_id: str, kind: EmailKind) -> str:
        """The signed one-click link for this person and kind, valid for
        ``unsubscribe_link_ttl``."""
        expires_at = (utcnow() + self.unsubscribe_link_ttl).timestamp()
        token = make_unsubscribe_token(
            self.unsubscribe_secret, account_id, kind, expires_at=expires_at
        )
        return f"{self.api_url.rstrip('/')}/v1/unsubscribe?token={token}"


# --- delivering one notification ----------------------------------------------


async def notify(
    uow: NotificationsUnitOfWork,
    config: NotifyConfig,
    *,
    event_id: str,
    recipient_id: str,
    letter: Letter,
    now: datetime,
    address: Contact | None = None,
    throttle_key: str | None = None,
    throttle_since: datetime | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> None:
    """Keep the in-app notification and queue the email one event causes.

    Ids derive from the event id and the recipient, so a redelivered event
    (which the inbox normally drops first) cannot add a second of either.
    Preferences decide: an email that is not wanted is logged as suppressed;
    with the daily digest on, a digestible one is held for the digest.
    """
    preferences = await uow.preferences.get(recipient_id)
    kind = letter.kind
    notification_id = derived_id(event_id, recipient_id, "in_app")
    if preferences.wants_in_app(kind):
        notification = Notification(
            id=notification_id,
            recipient_id=recipient_id,
            kind=kind,
            title=letter.subject,
            body=letter.summary,
            link=letter.action_url,
            created_at=now,
        )
        if await uow.notifications.add(notification):
            uow.created_notifications.append(notification)
            uow.add_event(
                new_event(
                    NotificationSent(
                        notification_id=notification.id,
                        recipient_id=recipient_id,
                        kind=kind,
                        channel="in_app",
                    ),
                    subject=recipient_id,
                    source=SOURCE,
                )
            )
    if (
        throttle_key is not None
        and throttle_since is not None
        and await uow.email_jobs.emailed_since(recipient_id, throttle_key, throttle_since)
    ):
        log.info("email_throttled", kind=kind, recipient_id=recipient_id)
        return
    contact = address or await uow.contacts.get(recipient_id)
    unsubscribe_url = config.unsubscribe_url(recipient_id, kind)
    name = contact.display_name if contact else SOMEONE
    job = EmailJob(
        id=derived_id(event_id, recipient_id, "email"),
        recipient_id=recipient_id,
        kind=kind,
        to_address=contact.email if contact else "",
        subject=letter.subject,
        text=render_text(letter, name, unsubscribe_url),
        html=render_html(letter, name, unsubscribe_url),
        unsubscribe_url=unsubscribe_url,
        created_at=now,
        next_attempt_at=now,
        throttle_key=throttle_key,
        notification_id=notification_id,
        personalisation={
            "name": name,
            "subject": letter.subject,
            "body": "\n\n".join(letter.paragraphs),
            "action_label": letter.action_label,
            "action_url": letter.action_url,
        },
        attachments=list(attachments),
        trace_context=current_trace_context(),
    )
    if preferences.holds_for_digest(kind):
        # The address is looked up again when the digest is built.
        job.hold_for_digest()
    elif contact is None:
        # The address may not have arrived yet (account events travel on another
        # topic); the delivery worker waits for it before giving up.
        job.last_error = "awaiting_address"
    elif not preferences.wants_email(kind):
        job.settle("suppressed", "preference")
    await uow.email_jobs.add(job)


async def _name(uow: NotificationsUnitOfWork, person_id: str) -> str:
    card = await uow.cards.get(person_id)
    if card is not None:
        return card.display_name
    contact = await uow.contacts.get(person_id)
    return contact.display_name if contact else SOMEONE


# --- account and profile events -----------------------------------------------


async def on_account_registered(uow: NotificationsUnitOfWork, data: AccountRegistered) -> None:
    """Keep the new account's address for later emails."""
    await uow.contacts.upsert(Contact(data.account_id, data.email, data.display_name))


async def on_account_token(
    uow: NotificationsUnitOfWork,
    config: NotifyConfig,
    event_id: str,
    data: AccountVerificationRequested | AccountPasswordResetRequested | AccountClaimRequested,
    token: str,
) -> None:
    """Email a verification, reset or claim link (email only, never switched off).

    ``token`` is the event's sealed token, opened by the consumer.
    """
    builder = {
        AccountVerificationRequested: messages.verification,
        AccountPasswordResetRequested: messages.password_reset,
        AccountClaimRequested: messages.claim,
    }[type(data)]
    letter = builder(config.public_url, token, data.expires_at)
    # The event carries the address: it may be new (a changed address) or the
    # registration may not have arrived yet.
    address = Contact(data.account_id, data.email, data.display_name)
    await notify(
        uow,
        config,
        event_id=event_id,
        recipient_id=data.account_id,
        letter=letter,
        now=utcnow(),
        address=address,
    )


async def on_profile_upserted(uow: NotificationsUnitOfWork, data: ProfileUpserted) -> None:
    """Keep the display name and the coarse facts public events are built from."""
    await uow.cards.upsert(
        ProfileCard(
            profile_id=data.profile_id,
            version=data.version,
            display_name=data.display_name,
            department=data.department,
            profession=data.profession,
            grade=data.grade,
            region=data.region,
        )
    )


async def on_profile_deleted(uow: NotificationsUnitOfWork, profile_id: str) -> None:
    """Erase everything held about the person, and remember that they were erased.

    Removes their notifications, email jobs (and so the delivery log), preferences,
    address and card, the webhook deliveries not yet made of events about them and
    this service's own retained events keyed by them (``notification.sent``, kept
    for re-publishing); writes "Someone" for their name wherever others' notifications and
    emails show it; records the id in ``erased_subjects`` (same transaction), so
    that events about them arriving later create nothing. Running it again (a
    replayed event) finds nothing more to remove.
    """
    card = await uow.cards.get(profile_id)
    contact = await uow.contacts.get(profile_id)
    removed = await uow.notifications.delete_for(profile_id)
    checkins = await uow.checkins.delete_for(profile_id)
    jobs = await uow.email_jobs.delete_for(profile_id)
    deliveries = await uow.webhook_deliveries.delete_for_subject(profile_id)
    await uow.preferences.delete(profile_id)
    await uow.contacts.delete(profile_id)
    await uow.cards.delete(profile_id)
    events = await uow.drop_outbox_for_subject(profile_id)
    names = {n for n in (card and card.display_name, contact and contact.display_name) if n}
    scrubbed = 0
    for written in sorted({w for name in names for w in name_forms(name)}, key=len, reverse=True):
        scrubbed += await uow.notifications.replace_text(written, SOMEONE)
        scrubbed += await uow.email_jobs.replace_text(written, SOMEONE)
    await uow.erased.mark(profile_id)
    uow.erased_now.append(profile_id)
    log.info(
        "person_erased",
        profile_id=profile_id,
        notifications=removed,
        checkins=checkins,
        email_jobs=jobs,
        webhook_deliveries=deliveries,
        events_dropped=events,
        mentions_replaced=scrubbed,
    )


def name_forms(name: str) -> set[str]:
    """How a name can be written in stored text: as is, HTML-escaped, JSON-escaped.

    Names shorter than three characters are left alone: replacing them would
    change unrelated words.
    """
    if len(name.strip()) < 3:
        return set()
    return {name, html.escape(name), json.dumps(name)[1:-1]}


async def any_erased(uow: NotificationsUnitOfWork, *person_ids: str) -> bool:
    """Whether any of these people was erased here (events about them are ignored)."""
    for person_id in person_ids:
        if person_id and await uow.erased.contains(person_id):
            return True
    return False


# --- match events ------------------------------------------------------------


async def on_match_event(
    uow: NotificationsUnitOfWork,
    config: NotifyConfig,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    data: MatchRequested | MatchEnded | object,
) -> None:
    """Tell the people concerned, then publish the anonymised public event."""
    match_id: str = getattr(data, "match_id")  # noqa: B009 - every match payload has it
    mentee_id: str = getattr(data, "mentee_id")  # noqa: B009
    mentor_id: str = getattr(data, "mentor_id")  # noqa: B009
    role: str = getattr(data, "role", "mentor")
    now = utcnow()
    url = config.public_url
    mentee_name = await _name(uow, mentee_id)
    mentor_name = await _name(uow, mentor_id)
    plan: list[tuple[str, Letter]] = []
    short = event_type.removeprefix("match.")
    if short == "requested":
        plan.append((mentor_id, messages.request_received(url, match_id, mentee_name, role)))
    elif short in ("accepted", "declined"):
        plan.append((mentee_id, messages.request_answered(url, match_id, mentor_name, short)))
    elif short == "withdrawn":
        plan.append(
            (
                mentor_id,
                messages.request_answered(url, match_id, mentee_name, short, to_mentor=True),
            )
        )
    elif short == "expired":
        plan.append((mentee_id, messages.request_answered(url, match_id, mentor_name, short)))
        plan.append(
            (
                mentor_id,
                messages.request_answered(url, match_id, mentee_name, short, to_mentor=True),
            )
        )
    elif short == "reminder_due":
        plan.append((mentor_id, messages.reminder(url, match_id, mentee_name)))
    elif short == "ended":
        ended_by: str = getattr(data, "ended_by", "")
        plan.append(
            (
                mentee_id,
                messages.match_ended(url, match_id, mentor_name, by_you=ended_by == mentee_id),
            )
        )
        plan.append(
            (
                mentor_id,
                messages.match_ended(url, match_id, mentee_name, by_you=ended_by == mentor_id),
            )
        )
    for recipient_id, letter in plan:
        await notify(
            uow, config, event_id=event_id, recipient_id=recipient_id, letter=letter, now=now
        )
    if short in ("requested", "accepted", "declined", "withdrawn", "expired", "ended"):
        await publish_public_event(uow, event_id, short, mentee_id, occurred_at)


async def publish_public_event(
    uow: NotificationsUnitOfWork,
    event_id: str,
    match_event: str,
    mentee_id: str,
    occurred_at: datetime,
) -> None:
    """Publish the anonymised event on the public topic and queue signed webhooks.

    Built from the mentee's card (see ``domain.anonymise``). The envelope gets a
    random subject and correlation id: the originals name a match and a request.
    """
    card = await uow.cards.get(mentee_id)
    when = coarse_time(occurred_at)
    payload = PublicMatchEvent(
        match_event=match_event,  # checked by the caller
        department=card.department if card else None,
        profession=card.profession if card else None,
        grade_band=grade_band(card.grade) if card else None,
        region=card.region if card else None,
        occurred_at=when,
    )
    uow.add_event(
        new_event(
            payload,
            subject=str(uuid.uuid4()),
            source=SOURCE,
            correlation_id=str(uuid.uuid4()),
            occurred_at=when,
        )
    )
    now = utcnow()
    for subscription in await uow.subscriptions.list():
        if not subscription.wants(match_event, payload.department):
            continue
        body = {
            "id": str(uuid.uuid4()),
            "type": f"match.{match_event}",
            **payload.model_dump(mode="json", exclude={"match_event"}),
        }
        await uow.webhook_deliveries.add(
            WebhookDelivery(
                id=derived_id(event_id, subscription.id),
                subscription_id=subscription.id,
                body=json.dumps(body, separators=(",", ":")),
                created_at=now,
                next_attempt_at=now,
            ),
            # Kept only until delivered, so that erasing the mentee drops it.
            subject_id=mentee_id,
        )


# --- messaging events --------------------------------------------------------


async def on_message_sent(
    uow: NotificationsUnitOfWork, config: NotifyConfig, event_id: str, data: MessageSent
) -> None:
    """In-app always; at most one email per conversation an hour per recipient."""
    sender_name = await _name(uow, data.sender_id)
    letter = messages.new_message(config.public_url, data.conversation_id, sender_name)
    await notify(
        uow,
        config,
        event_id=event_id,
        recipient_id=data.recipient_id,
        letter=letter,
        now=utcnow(),
        throttle_key=f"conversation:{data.conversation_id}",
        throttle_since=data.sent_at - config.message_email_window,
    )


async def on_session_scheduled(
    uow: NotificationsUnitOfWork, config: NotifyConfig, event_id: str, data: SessionScheduled
) -> None:
    """Tell the other person about a proposed or confirmed session.

    A proposal goes to the person asked; a confirmation (made by that person)
    goes to the proposer, with a calendar invitation.
    """
    if data.status not in ("proposed", "confirmed"):
        return
    recipient_id = data.other_id if data.status == "proposed" else data.proposer_id
    actor_id = data.proposer_id if data.status == "proposed" else data.other_id
    other_name = await _name(uow, actor_id)
    letter = messages.session(
        config.public_url, data.conversation_id, other_name, data.status, data.starts_at
    )
    attachments: tuple[Attachment, ...] = ()
    if data.status == "confirmed":
        attachments = (
            session_invite(
                data.session_id,
                data.starts_at,
                data.duration_minutes,
                summary=f"Mentoring session with {other_name}",
                location=data.location,
                url=letter.action_url,
            ),
        )
    await notify(
        uow,
        config,
        event_id=event_id,
        recipient_id=recipient_id,
        letter=letter,
        now=utcnow(),
        attachments=attachments,
    )
    if data.status == "confirmed" and data.confirmed_sessions in ROUNDS:
        await send_checkins(uow, config, event_id, data)


async def send_checkins(
    uow: NotificationsUnitOfWork, config: NotifyConfig, event_id: str, data: SessionScheduled
) -> None:
    """Ask both people "How is it going?" after the 3rd or 6th confirmed session.

    One check-in per person, match and round: a round reached again (a session
    cancelled, another confirmed) or a replayed event adds nothing.
    """
    assert data.confirmed_sessions is not None
    round_ = data.confirmed_sessions
    now = utcnow()
    for person_id in (data.proposer_id, data.other_id):
        item = CheckIn(
            id=make_checkin_id(data.match_id, person_id, round_),
            recipient_id=person_id,
            match_id=data.match_id,
            conversation_id=data.conversation_id,
            round=round_,
            created_at=now,
        )
        if not await uow.checkins.add(item):
            continue
        await notify(
            uow,
            config,
            event_id=f"{event_id}:checkin",
            recipient_id=person_id,
            letter=messages.checkin(config.public_url, item.id, round_),
            now=now,
        )
        log.info("checkin_sent", checkin_id=item.id, round=round_)


# --- commands from the HTTP API ----------------------------------------------


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
            raise NotificationNotFound(notification_id)
        if notification.read_at is None:
            notification.read_at = utcnow()
            await uow.notifications.mark_read(notification_id, notification.read_at)
            await uow.commit()
        return notification


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

    Turning the digest off releases the emails held for it: they go out one by
    one straight away.

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
                released = await uow.email_jobs.release_held(account_id, utcnow())
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
        created_at=utcnow(),
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
            raise SubscriptionNotFound(subscription_id)
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
        raise CheckInNotFound(checkin_id)
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
            raise CheckInNotFound(checkin_id)
        if item.answered:
            raise CheckInAnswered(checkin_id)
        item.rating = rating
        item.comment = (comment or "").strip() or None
        item.answered_at = utcnow()
        if not await uow.checkins.answer(item):
            raise CheckInAnswered(checkin_id)
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
