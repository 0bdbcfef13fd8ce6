"""The notifications domain: notifications, email jobs, preferences, subscriptions.

Pure Python: no framework, no database.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Literal, get_args

from mentor_shared.calendar import addressed_to

Kind = Literal[
    "verification",
    "password_reset",
    "claim",
    "request_received",
    "request_answered",
    "reminder",
    "message",
    "session",
    "match_ended",
]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Sent only because the person asked for them: always by email, never switched off.
ACCOUNT_KINDS: frozenset[Kind] = frozenset({"verification", "password_reset", "claim"})
CONFIGURABLE_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k not in ACCOUNT_KINDS)

# Not urgent: for someone with the daily digest on, their emails are held and
# summarised once a day. Account emails and new requests (the mentor has a
# limited time to answer) always go at once.
DIGEST_KINDS: frozenset[Kind] = frozenset(
    {"request_answered", "reminder", "message", "session", "match_ended"}
)

BULK_KINDS: frozenset[Kind] = frozenset({"claim"})
"""Bulk mail: the claim invitations of a coach import (thousands at once). They go
out after every other due email and at a bounded rate (``BULK_EMAILS_PER_MINUTE``),
so a sign-up's verification or a new request never waits behind them."""

EmailKind = Literal[Kind, "digest"]
"""What an email is about: one notification kind, or the daily digest."""
EMAIL_KINDS: tuple[EmailKind, ...] = (*KINDS, "digest")

Channel = Literal["email", "in_app", "off"]
"""``email``: in-app and email; ``in_app``: in-app only; ``off``: nothing."""

EmailState = Literal["pending", "sent", "failed", "suppressed", "digest", "digested"]
"""``digest``: held for the person's daily digest; ``digested``: included in one."""
WebhookState = Literal["pending", "delivered", "parked"]

# Fixed namespace so ids derived from an event are the same on every redelivery.
_ID_NAMESPACE = uuid.UUID("6f1c2d0e-4b7a-4c1e-9a53-0d8f3b6e2a11")


def derived_id(event_id: str, *parts: str) -> str:
    """A stable id for something one event causes (same event -> same id)."""
    return str(uuid.uuid5(_ID_NAMESPACE, ":".join((event_id, *parts))))


def digest_job_id(recipient_id: str, day: date) -> str:
    """The id of someone's digest email for one day (the same on every run)."""
    return derived_id("digest", recipient_id, day.isoformat())


ADDRESS_RETRY = timedelta(seconds=2)
ADDRESS_WAIT = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Contact:
    """Where to email someone (from the restricted account topic)."""

    account_id: str
    email: str
    display_name: str
    verified: bool = False


@dataclass(frozen=True, slots=True)
class ProfileCard:
    """What this service keeps of a profile: a name for messages, and the
    coarse facts anonymised public events are built from."""

    profile_id: str
    version: int
    display_name: str
    department: str | None = None
    profession: str | None = None
    grade: str | None = None
    region: str | None = None


@dataclass(slots=True)
class Notification:
    """One in-app notification."""

    id: str
    recipient_id: str
    kind: Kind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None = None

    @property
    def is_read(self) -> bool:
        """Whether the recipient has read it."""
        return self.read_at is not None

    def mark_read(self, now: datetime) -> bool:
        """Read now, unless it was read before; whether this changed it."""
        if self.read_at is not None:
            return False
        self.read_at = now
        return True


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an email."""

    filename: str
    content_type: str
    content: bytes


@dataclass(slots=True)
class EmailJob:
    """One email in the delivery log, from queued to a final state."""

    id: str
    recipient_id: str
    kind: EmailKind
    to_address: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str
    created_at: datetime
    state: EmailState = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None
    throttle_key: str | None = None
    notification_id: str | None = None
    personalisation: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    trace_context: str | None = None
    """The W3C trace context the email was queued under (opaque here): its sending
    is traced as part of the same trace. None when tracing was off."""

    def forget_content(self) -> None:
        """Drop what was rendered for the recipient (address, text, HTML, links,
        attachments): an email that is sent or will never be sent needs none of
        it, and the log keeps only its metadata (kind, subject, state, times)."""
        self.to_address = ""
        self.text = ""
        self.html = ""
        self.unsubscribe_url = ""
        self.personalisation = {}
        self.attachments = []

    def await_address(self) -> None:
        """Queued before the recipient's address arrived (account events travel on
        another topic): the delivery worker looks it up when the job is due."""
        self.last_error = "awaiting_address"

    def address_found(self, address: str) -> None:
        """The delivery worker found the address the job was queued without; a
        calendar cancellation names it now (RFC 5546: a CANCEL names whom it tells)."""
        self.to_address = address
        self.attachments = [
            replace(a, content=addressed_to(a.content, address))
            if a.content_type.startswith("text/calendar")
            else a
            for a in self.attachments
        ]

    def settle(self, state: EmailState, error: str | None = None) -> None:
        """Move to a state it will not leave (suppressed, digested) and forget
        the content."""
        self.state, self.last_error, self.next_attempt_at = state, error, None
        self.forget_content()

    def wait_for_address(self, now: datetime, *, give_up_after: timedelta) -> None:
        """No address is known yet: its account event may still be on its way on
        another topic, so try again shortly; after ``give_up_after``, give up."""
        if now - self.created_at >= give_up_after:
            self.settle("suppressed", "no_address")
        else:
            self.await_address()
            self.next_attempt_at = now + ADDRESS_RETRY

    @property
    def digestible(self) -> bool:
        """Whether the daily digest may take it in: not with a calendar entry, which
        is time-bound (a session may be the same day) and which a digest, a list of
        subjects and links, would drop."""
        return not self.attachments

    def hold_for_digest(self) -> None:
        """Keep it for the daily digest instead of sending it on its own."""
        self.state, self.next_attempt_at = "digest", None

    def release(self, now: datetime) -> None:
        """A held email goes out on its own after all (the digest was turned off)."""
        if self.state == "digest":
            self.state, self.next_attempt_at = "pending", now

    def leave_digest(self, preferences: Preferences, now: datetime) -> None:
        """A held email leaves the digest to go on its own: due now if the person
        still wants its kind by email, else suppressed (they changed their mind
        while it was held)."""
        if self.kind != "digest" and preferences.wants_email(self.kind):
            self.release(now)
        else:
            self.settle("suppressed", "preference")

    def record_success(self, now: datetime) -> None:
        """The server accepted the email."""
        self.attempts += 1
        self.state = "sent"
        self.sent_at = now
        self.next_attempt_at = None
        self.last_error = None
        self.forget_content()

    def record_failure(
        self, now: datetime, error: str, *, permanent: bool, policy: RetryPolicy
    ) -> None:
        """A failed attempt: retry later with backoff, or give up."""
        self.attempts += 1
        self.last_error = error[:300]
        if permanent or self.attempts >= policy.max_attempts:
            self.state = "failed"
            self.next_attempt_at = None
            self.forget_content()
        else:
            self.next_attempt_at = now + policy.delay(self.attempts)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: base * 2^(attempt-1), capped."""

    max_attempts: int = 8
    base_s: float = 1.0
    max_s: float = 900.0

    def delay(self, attempts: int) -> timedelta:
        """How long to wait after ``attempts`` failed attempts."""
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(0, attempts - 1)))


@dataclass(slots=True)
class Preferences:
    """How someone wants each kind of notification."""

    account_id: str
    channels: dict[Kind, Channel] = field(default_factory=dict)
    daily_digest: bool = False

    def channel_for(self, kind: Kind) -> Channel:
        """The chosen channel; account emails are always email."""
        if kind in ACCOUNT_KINDS:
            return "email"
        return self.channels.get(kind, "email")

    def wants_email(self, kind: Kind) -> bool:
        """Whether an email of this kind should go out."""
        return self.channel_for(kind) == "email"

    def holds_for_digest(self, kind: Kind) -> bool:
        """Whether an email of this kind waits for the daily digest."""
        return self.daily_digest and kind in DIGEST_KINDS and self.wants_email(kind)

    def wants_in_app(self, kind: Kind) -> bool:
        """Whether an in-app notification of this kind should be kept."""
        return kind not in ACCOUNT_KINDS and self.channel_for(kind) != "off"

    def set_channel(self, kind: Kind, channel: Channel) -> None:
        """Choose a channel for a configurable kind."""
        if kind in ACCOUNT_KINDS:
            from notifications_service.domain.errors import NotConfigurable

            raise NotConfigurable(kind)
        self.channels[kind] = channel

    def unsubscribe(self, kind: EmailKind) -> bool:
        """Stop emails of this kind (in-app stays); False for account emails.

        The digest's link stops every kind a digest summarises.
        """
        if kind == "digest":
            return any([self.unsubscribe(k) for k in sorted(DIGEST_KINDS)])
        if kind in ACCOUNT_KINDS:
            return False
        if self.channel_for(kind) == "email":
            self.channels[kind] = "in_app"
        return True


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@dataclass(slots=True)
class Subscription:
    """Another department's webhook for anonymised match events."""

    id: str
    url: str
    secret: str
    created_at: datetime
    department: str | None = None
    match_events: list[str] | None = None

    def wants(self, match_event: str, department: str | None) -> bool:
        """Whether this event passes the subscription's filters."""
        if self.department is not None and self.department != department:
            return False
        return self.match_events is None or match_event in self.match_events


@dataclass(slots=True)
class WebhookDelivery:
    """One signed POST of one anonymised event to one subscription."""

    id: str
    subscription_id: str
    body: str
    created_at: datetime
    state: WebhookState = "pending"
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def record_success(self, now: datetime) -> None:
        """The receiver answered 2xx; its copy of the body is no longer kept."""
        self.attempts += 1
        self.body = ""
        self.state = "delivered"
        self.delivered_at = now
        self.next_attempt_at = None
        self.last_error = None

    def record_failure(self, now: datetime, error: str, policy: RetryPolicy) -> None:
        """A failed attempt: retry with backoff, parked after the last one."""
        self.attempts += 1
        self.last_error = error[:300]
        if self.attempts >= policy.max_attempts:
            self.state = "parked"
            self.next_attempt_at = None
        else:
            self.next_attempt_at = now + policy.delay(self.attempts)
