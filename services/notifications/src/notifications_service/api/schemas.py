"""Request and response bodies of the notifications API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from notifications_service.domain.model import Channel, Kind

ConfigurableKind = Literal[
    "request_received", "request_answered", "reminder", "message", "session", "match_ended"
]
MatchEventName = Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]


class NotificationPublic(BaseModel):
    """One in-app notification."""

    id: str
    kind: Kind
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    read: bool


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
    daily_digest: bool | None = None


class SubscriptionCreate(BaseModel):
    """A department's webhook for anonymised match events."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl
    secret: str = Field(min_length=16, max_length=200, description="HMAC key for signatures")
    department: str | None = Field(default=None, max_length=100)
    match_events: list[MatchEventName] | None = Field(
        default=None, description="Only these events (all when unset)"
    )


class SubscriptionPublic(BaseModel):
    """A subscription as shown back (never its secret)."""

    id: str
    url: str
    department: str | None
    match_events: list[str] | None
    created_at: datetime
    deliveries: dict[str, int] = Field(default_factory=dict, description="Deliveries per state")
