"""The notify pipeline: one notification an event causes, for one person.

Every reaction that tells someone something builds a :class:`Notice` and hands
it to :func:`notify`, which keeps the in-app notification and queues the email
(or holds it for the digest, or logs it as suppressed) as the person's
preferences say. Runs inside the caller's unit of work; never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Literal

import structlog

from mentor_shared.calendar import CalendarSession, content_type, session_calendar
from mentor_shared.clock import to_epoch, utc_now
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import NotificationSent
from mentor_shared.tracing import current_trace_context
from notifications_service.domain.messages import Letter
from notifications_service.domain.model import (
    Attachment,
    Contact,
    EmailJob,
    EmailKind,
    Notification,
    derived_id,
)
from notifications_service.domain.unsubscribe import make_unsubscribe_token
from notifications_service.service.ports import NotificationsUnitOfWork
from notifications_service.templates import render_html, render_text

log = structlog.get_logger(__name__)

SOURCE = "notifications"
SOMEONE = "Someone"
"""Used when a person's profile has not arrived (yet); never an id."""


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """What the notify pipeline needs from settings."""

    public_url: str
    api_url: str
    unsubscribe_secret: str
    message_email_window: timedelta = timedelta(hours=1)
    unsubscribe_link_ttl: timedelta = timedelta(days=90)
    mail_from: str | None = None
    """``MAIL_FROM``: its address organises the calendar entries emailed."""

    def unsubscribe_url(self, account_id: str, kind: EmailKind) -> str:
        """The signed one-click link for this person and kind, valid for
        ``unsubscribe_link_ttl``."""
        expires_at = to_epoch(utc_now() + self.unsubscribe_link_ttl)
        token = make_unsubscribe_token(
            self.unsubscribe_secret, account_id, kind, expires_at=expires_at
        )
        return f"{self.api_url.rstrip('/')}/v1/unsubscribe?token={token}"

    @property
    def organizer(self) -> str | None:
        """The bare address of ``mail_from`` (``no-reply@...``), or None."""
        if not self.mail_from:
            return None
        return parseaddr(self.mail_from)[1] or None


@dataclass(frozen=True, slots=True)
class Throttle:
    """At most one email with this key per person since ``since``."""

    key: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification an event causes for one person.

    Attributes:
        event_id: The causing event; the notification's and email's ids derive
            from it and the recipient, so a redelivery adds neither again.
        recipient_id: Who is told.
        letter: What they are told.
        address: Where to email them when the event itself says (account
            events); otherwise the stored contact.
        throttle: Skip the email if one with the same key went out recently.
        calendar: A session calendar entry to attach, addressed to the recipient.
        in_app: False to email only (someone told of their own action).
    """

    event_id: str
    recipient_id: str
    letter: Letter
    address: Contact | None = None
    throttle: Throttle | None = None
    calendar: CalendarSession | None = None
    in_app: bool = True


async def notify(
    uow: NotificationsUnitOfWork, config: NotifyConfig, notice: Notice, now: datetime
) -> None:
    """Keep the in-app notification and queue the email one event causes.

    Preferences decide: an email that is not wanted is logged as suppressed;
    with the daily digest on, a digestible one is held for the digest unless it
    carries a calendar entry.
    """
    recipient_id, letter, kind = notice.recipient_id, notice.letter, notice.letter.kind
    preferences = await uow.preferences.get(recipient_id)
    notification_id = derived_id(notice.event_id, recipient_id, "in_app")
    if notice.in_app and preferences.wants_in_app(kind):
        await _keep_in_app(
            uow,
            Notification(
                id=notification_id,
                recipient_id=recipient_id,
                kind=kind,
                title=letter.subject,
                body=letter.summary,
                link=letter.action_url,
                created_at=now,
            ),
        )
    throttle = notice.throttle
    if throttle is not None and await uow.email_jobs.emailed_since(
        recipient_id, throttle.key, throttle.since
    ):
        log.info("email_throttled", kind=kind, recipient_id=recipient_id)
        return
    contact = notice.address or await uow.contacts.get(recipient_id)
    unsubscribe_url = config.unsubscribe_url(recipient_id, kind)
    name = contact.display_name if contact else SOMEONE
    job = EmailJob(
        id=derived_id(notice.event_id, recipient_id, "email"),
        recipient_id=recipient_id,
        kind=kind,
        to_address=contact.email if contact else "",
        subject=letter.subject,
        text=render_text(letter, name, unsubscribe_url),
        html=render_html(letter, name, unsubscribe_url),
        unsubscribe_url=unsubscribe_url,
        created_at=now,
        next_attempt_at=now,
        throttle_key=throttle.key if throttle else None,
        notification_id=notification_id,
        personalisation=personalisation(letter, name),
        attachments=_attachments(config, notice.calendar, contact, now),
        trace_context=current_trace_context(),
    )
    if preferences.holds_for_digest(kind) and job.digestible:
        # The address is looked up again when the digest is built.
        job.hold_for_digest()
    elif contact is None:
        # The delivery worker waits for the address before giving up.
        job.await_address()
    elif not preferences.wants_email(kind):
        job.settle("suppressed", "preference")
    await uow.email_jobs.add(job)


def personalisation(letter: Letter, name: str, body: str | None = None) -> dict[str, str]:
    """The fields a GOV.UK Notify template fills in (``body``: the paragraphs'
    text unless given)."""
    return {
        "name": name,
        "subject": letter.subject,
        "body": "\n\n".join(letter.paragraphs) if body is None else body,
        "action_label": letter.action_label,
        "action_url": letter.action_url,
    }


async def _keep_in_app(uow: NotificationsUnitOfWork, notification: Notification) -> None:
    if not await uow.notifications.add(notification):
        return
    uow.created_notifications.append(notification)
    uow.add_event(
        notification_sent(notification.id, notification.recipient_id, notification.kind, "in_app")
    )


def notification_sent(
    notification_id: str, recipient_id: str, kind: str, channel: Literal["in_app", "email"]
) -> Envelope:
    """The ``notification.sent`` event of a notification kept or an email sent."""
    return new_event(
        NotificationSent(
            notification_id=notification_id, recipient_id=recipient_id, kind=kind, channel=channel
        ),
        subject=recipient_id,
        source=SOURCE,
    )


def _attachments(
    config: NotifyConfig, calendar: CalendarSession | None, contact: Contact | None, now: datetime
) -> list[Attachment]:
    """The calendar entry, organised by the service and addressed to the address
    the email goes to (none yet when the address has not arrived)."""
    if calendar is None:
        return []
    ics = session_calendar(
        calendar,
        stamped_at=now,
        organizer=config.organizer,
        attendee=contact.email if contact else None,
    )
    return [Attachment("session.ics", content_type(calendar.method), ics)]


async def name_of(uow: NotificationsUnitOfWork, person_id: str) -> str:
    """How to name someone to others: their profile's name, else their account's,
    else "Someone"."""
    card = await uow.cards.get(person_id)
    if card is not None:
        return card.display_name
    contact = await uow.contacts.get(person_id)
    return contact.display_name if contact else SOMEONE
