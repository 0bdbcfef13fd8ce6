"""Request and response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, AnyHttpUrl, BaseModel, ConfigDict, Field, StrictBool

from notifications_service.domain.model import Channel, Kind

ConfigurableKind = Literal[
    "request_received", "request_answered", "reminder", "message", "session", "match_ended"
]
MatchEventName = Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]


class DomainView(BaseModel):
    """An answer showing a domain object's fields under their own names:
    ``NotificationPublic.model_validate(notification)``."""

    model_config = ConfigDict(from_attributes=True)


class NotificationPublic(DomainView):
    """One in-app notification."""

    id: str
    kind: Kind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    # The domain's Notification says it as ``is_read``.
    read: bool = Field(validation_alias=AliasChoices("read", "is_read"))


class NotificationList(BaseModel):
    """A page of the caller's notifications, newest first."""

    items: list[NotificationPublic]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")
    unread_count: int


class PreferencesPublic(BaseModel):
    """The caller's channel per kind (account emails are always sent by email)."""

    channels: dict[Kind, Channel]
    daily_digest: bool


class PreferencesUpdate(BaseModel):
    """Changes to preferences; kinds left out keep their channel."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[ConfigurableKind, Channel] = Field(default_factory=dict)
    daily_digest: StrictBool | None = None


class SubscriptionCreate(BaseModel):
    """A department's webhook for anonymised match events."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(
        description="https, resolving only to public addresses (see docs/notifications.md)"
    )
    department: str | None = Field(default=None, max_length=100)
    match_events: list[MatchEventName] | None = Field(
        default=None, description="Only these events (all when unset)"
    )


class SubscriptionPublic(DomainView):
    """A subscription as shown back (never its secret)."""

    id: str
    url: str
    department: str | None
    match_events: list[str] | None
    created_at: datetime
    deliveries: dict[str, int] = Field(default_factory=dict, description="Deliveries per state")


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription with its signing secret, shown this once and never again."""

    secret: str = Field(
        description="Standard Webhooks signing secret (whsec_ + base64 of 32 random bytes)"
    )


class HeldContact(DomainView):
    """The address and name this service emails, as it holds them."""

    email: str
    display_name: str
    verified: bool


class HeldProfile(DomainView):
    """What this service keeps of the person's profile."""

    display_name: str
    department: str | None
    profession: str | None
    grade: str | None
    region: str | None


class EmailLogEntry(DomainView):
    """One email in the log: metadata only (bodies are not kept once sent)."""

    id: str
    kind: str
    subject: str
    state: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


class CheckInPublic(DomainView):
    """A "How is it going?" check-in sent to the caller, and their answer if given."""

    id: str
    match_id: str
    conversation_id: str
    round: int = Field(description="After which confirmed session it was sent (3 or 6)")
    created_at: datetime
    answered: bool
    rating: int | None
    comment: str | None
    answered_at: datetime | None


class CheckInAnswer(BaseModel):
    """The caller's answer: a rating from 1 (badly) to 5 (very well), a comment if they like."""

    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, strict=True)
    comment: str | None = Field(default=None, max_length=1000)


class CheckInRound(BaseModel):
    """Aggregates of one round; null where fewer than five people answered."""

    round: int
    sent: int
    answered: int | None
    answered_display: str = Field(description='The count, or "<5" when suppressed')
    mean_rating: float | None
    distribution: dict[str, int] | None = Field(description="Answers per rating 1-5")


class CheckInSummary(BaseModel):
    """Check-in figures for administrators: aggregates only, never an answer."""

    rounds: list[CheckInRound]
    suppressed_below: int


class NotificationsExport(BaseModel):
    """Everything the notifications service holds about the caller."""

    service: Literal["notifications"] = "notifications"
    account_id: str
    exported_at: datetime
    contact: HeldContact | None
    profile: HeldProfile | None
    preferences: PreferencesPublic
    notifications: list[NotificationPublic] = Field(description="Newest first")
    email_log: list[EmailLogEntry] = Field(description="Oldest first; no bodies or addresses")
    checkins: list[CheckInPublic] = Field(default_factory=list, description="Newest first")
