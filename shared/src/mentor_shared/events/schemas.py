"""Payload schemas of every event (the contract between services).

Changing a published schema needs a new ``event_version``; tests/contracts holds
snapshots that fail otherwise. Contact details never appear here except on the
restricted ``account`` topic, which only the notifications service reads.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from mentor_shared.events.envelope import EventData

ACCOUNT_TOPIC = "account"
PROFILE_TOPIC = "profile"
MATCH_TOPIC = "match"
MESSAGING_TOPIC = "messaging"
NOTIFICATION_TOPIC = "notification"
PUBLIC_MATCH_TOPIC = "public.match-events"

MatchRole = Literal["mentor", "coach"]

# Grade codes as profiles and events carry them, most junior first. Part of the
# contract: matching's grade rule and the public events' grade bands use it.
GRADE_ORDER: tuple[str, ...] = (
    "AA", "AO", "EO", "HEO", "SEO", "G7", "G6", "SCS1", "SCS2", "SCS3", "SCS4",
)  # fmt: skip


def grade_rank(code: str | None) -> int | None:
    """Position of a grade in :data:`GRADE_ORDER` (None when unknown or unset)."""
    return GRADE_ORDER.index(code) if code in GRADE_ORDER else None


# --- account (restricted: the only topic an email address travels on) ---------


class AccountRegistered(EventData):
    """Someone signed up; notifications keeps their address for email."""

    event_type: ClassVar[str] = "account.registered"
    topic: ClassVar[str] = ACCOUNT_TOPIC

    account_id: str
    email: str
    display_name: str


class _AccountTokenEvent(EventData):
    event_version: ClassVar[int] = 2
    topic: ClassVar[str] = ACCOUNT_TOPIC

    account_id: str
    email: str
    display_name: str
    sealed_token: str = Field(
        description=(
            "The single-use token for the emailed link, sealed (Fernet) with the key the"
            " profile and notifications services share: never on the broker in clear"
        )
    )
    expires_at: datetime


class AccountVerificationRequested(_AccountTokenEvent):
    """Send the email-verification link."""

    event_type: ClassVar[str] = "account.verification_requested"


class AccountPasswordResetRequested(_AccountTokenEvent):
    """Send the password-reset link."""

    event_type: ClassVar[str] = "account.password_reset_requested"


class AccountClaimRequested(_AccountTokenEvent):
    """An imported coach must claim the account made for them."""

    event_type: ClassVar[str] = "account.claim_requested"


class AccountEmailVerified(EventData):
    """The address was confirmed."""

    event_type: ClassVar[str] = "account.email_verified"
    topic: ClassVar[str] = ACCOUNT_TOPIC

    account_id: str


# --- profile ------------------------------------------------------------------


class Roles(BaseModel):
    """Which parts a person plays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mentor: bool = False
    mentee: bool = False
    coach: bool = False


class ProfileUpserted(EventData):
    """A profile changed: what others need to match and to show a card, no contact."""

    event_type: ClassVar[str] = "profile.upserted"
    event_version: ClassVar[int] = 2
    topic: ClassVar[str] = PROFILE_TOPIC

    profile_id: str
    version: int = Field(ge=1, description="Increases with every change")
    display_name: str
    initials: str
    anonymous: bool = False
    roles: Roles
    department: str | None = None
    profession: str | None = None
    grade: str | None = None
    region: str | None = None
    travel_regions: list[str] = Field(default_factory=list)
    remote_ok: bool = True
    job_title: str | None = None
    expertise: list[str] = Field(default_factory=list)
    expertise_text: str = ""
    experience_text: str = ""
    goals: list[str] = Field(default_factory=list)
    goals_text: str = ""
    capacity: int = Field(default=0, ge=0)
    accepting_requests: bool = True
    skills_offered: list[str] = Field(
        default_factory=list,
        description="Skill ids the person confirmed they can help with (matching's vocabulary)",
    )
    skills_sought: list[str] = Field(
        default_factory=list,
        description="Skill ids the person confirmed they want to develop",
    )
    paused_until: date | None = Field(
        default=None,
        description=(
            "New requests are paused until this date (not included); null when not paused. "
            "The pause ends by itself on the date: no event marks its end."
        ),
    )


class ProfileDeleted(EventData):
    """The person erased their account; every service erases its copy."""

    event_type: ClassVar[str] = "profile.deleted"
    topic: ClassVar[str] = PROFILE_TOPIC

    profile_id: str


# --- match --------------------------------------------------------------------


class _MatchEvent(EventData):
    topic: ClassVar[str] = MATCH_TOPIC

    match_id: str
    mentee_id: str
    mentor_id: str
    role: MatchRole = "mentor"


class MatchRequested(_MatchEvent):
    """A mentee asked a mentor or coach for a chemistry conversation."""

    event_type: ClassVar[str] = "match.requested"

    message: str = Field(description="The request's message; opens the conversation")
    expires_at: datetime


class MatchAccepted(_MatchEvent):
    """Both sides consented: contact details may now be shared."""

    event_type: ClassVar[str] = "match.accepted"


class MatchDeclined(_MatchEvent):
    """The mentor declined."""

    event_type: ClassVar[str] = "match.declined"

    reason: str | None = None


class MatchWithdrawn(_MatchEvent):
    """The mentee withdrew, or another of their requests was accepted."""

    event_type: ClassVar[str] = "match.withdrawn"

    reason: Literal["withdrawn", "another_accepted"] = "withdrawn"


class MatchExpired(_MatchEvent):
    """Nobody answered in time."""

    event_type: ClassVar[str] = "match.expired"


class MatchReminderDue(_MatchEvent):
    """A request has waited long enough to remind the mentor."""

    event_type: ClassVar[str] = "match.reminder_due"


class MatchEnded(_MatchEvent):
    """An accepted match ended; contact details are hidden again."""

    event_type: ClassVar[str] = "match.ended"

    ended_by: str


# --- messaging ----------------------------------------------------------------


class MessageSent(EventData):
    """A message was posted; ids and times only, never the body."""

    event_type: ClassVar[str] = "message.sent"
    topic: ClassVar[str] = MESSAGING_TOPIC

    conversation_id: str
    message_id: str
    sender_id: str
    recipient_id: str
    sent_at: datetime


class SessionScheduled(EventData):
    """A session was proposed, confirmed or cancelled."""

    event_type: ClassVar[str] = "session.scheduled"
    event_version: ClassVar[int] = 3
    topic: ClassVar[str] = MESSAGING_TOPIC

    session_id: str
    conversation_id: str
    match_id: str
    proposer_id: str
    other_id: str
    status: Literal["proposed", "confirmed", "declined", "cancelled", "held"]
    starts_at: datetime
    duration_minutes: int = Field(ge=1)
    location: str | None = None
    confirmed_sessions: int | None = Field(default=None, ge=0)
    """How many sessions of the conversation are confirmed or held, this one
    included; set when ``status`` is ``confirmed`` (drives the check-ins)."""
    sequence: int = Field(default=0, ge=0)
    """The session's change counter: the iCalendar SEQUENCE of its calendar entry."""
    actor_id: str | None = None
    """Who made this change (proposed, answered, cancelled or marked it held)."""
    was_confirmed: bool = False
    """Whether the session had been confirmed before this change: a cancelled one
    then has calendar entries to withdraw."""


# --- notifications ------------------------------------------------------------


class NotificationSent(EventData):
    """A notification reached someone (in-app or email)."""

    event_type: ClassVar[str] = "notification.sent"
    topic: ClassVar[str] = NOTIFICATION_TOPIC

    notification_id: str
    recipient_id: str
    kind: str
    channel: Literal["in_app", "email"]


class PublicMatchEvent(EventData):
    """Anonymised match event for other departments: nothing links back to a person."""

    event_type: ClassVar[str] = "public.match_event"
    topic: ClassVar[str] = PUBLIC_MATCH_TOPIC

    match_event: Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]
    department: str | None = None
    profession: str | None = None
    grade_band: str | None = None
    region: str | None = None
    occurred_at: datetime


ALL_EVENTS: list[type[EventData]] = [
    AccountRegistered,
    AccountVerificationRequested,
    AccountPasswordResetRequested,
    AccountClaimRequested,
    AccountEmailVerified,
    ProfileUpserted,
    ProfileDeleted,
    MatchRequested,
    MatchAccepted,
    MatchDeclined,
    MatchWithdrawn,
    MatchExpired,
    MatchReminderDue,
    MatchEnded,
    MessageSent,
    SessionScheduled,
    NotificationSent,
    PublicMatchEvent,
]
