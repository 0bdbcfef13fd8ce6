"""Conversations, messages, read receipts, reports, sessions and the people directory.

Pure Python: no framework, no database. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from mentor_shared.clock import as_utc
from messaging_service.domain.errors import (
    ConversationNotFound,
    ConversationReadOnly,
    InvalidMessage,
    InvalidSession,
    MatchNotAccepted,
    PlanNeedsAcceptedMatch,
    SessionNotFound,
    SessionTransitionNotAllowed,
)

ConversationStatus = Literal["requested", "active", "closed"]
ClosedReason = Literal[
    "declined", "withdrawn", "another_accepted", "expired", "ended", "account_deleted"
]
SessionStatus = Literal["proposed", "confirmed", "declined", "cancelled", "held"]
SessionAction = Literal["accept", "decline", "held", "cancel"]

MAX_MESSAGE_LENGTH: Final = 5000
MIN_SESSION_MINUTES: Final = 15
MAX_SESSION_MINUTES: Final = 240
# Coaching is typically six one-hour sessions about three weeks apart (DESIGN.md).
SERIES_COUNT: Final = 6
SERIES_INTERVAL: Final = timedelta(weeks=3)
SERIES_DURATION_MINUTES: Final = 60
FORMER_MEMBER_NAME: Final = "A former member"
UNKNOWN_PERSON_NAME: Final = "Unknown member"


def new_id() -> str:
    """A new random identifier."""
    return str(uuid.uuid4())


@dataclass
class Conversation:
    """The private thread between the two people of one match request.

    A participant id becomes None when that person erased their account; the
    other participant keeps the (read-only) history.
    """

    id: str
    match_id: str
    mentee_id: str | None
    mentor_id: str | None
    status: ConversationStatus
    created_at: datetime
    last_activity_at: datetime
    closed_reason: ClosedReason | None = None
    last_seq: int = 0

    @classmethod
    def open(cls, match_id: str, mentee_id: str, mentor_id: str, now: datetime) -> Conversation:
        """A new conversation for a match request."""
        return cls(
            id=new_id(),
            match_id=match_id,
            mentee_id=mentee_id,
            mentor_id=mentor_id,
            status="requested",
            created_at=now,
            last_activity_at=now,
        )

    @property
    def participants(self) -> tuple[str, ...]:
        """The participants still present (erased accounts are gone)."""
        return tuple(p for p in (self.mentee_id, self.mentor_id) if p is not None)

    def is_participant(self, person_id: str) -> bool:
        """Whether ``person_id`` is one of the two people (and not erased)."""
        return person_id in self.participants

    def other_participant(self, person_id: str) -> str | None:
        """The other person's id, or None when they erased their account."""
        return self.mentor_id if person_id == self.mentee_id else self.mentee_id

    @property
    def writable(self) -> bool:
        """Messages may be posted while the request is open or the match is active."""
        return self.status != "closed"

    def activate(self) -> None:
        """The match was accepted; a closed conversation stays closed."""
        if self.status == "requested":
            self.status = "active"

    def remove_participant(self, person_id: str, last_message_at: datetime | None) -> None:
        """``person_id`` erased their account: they leave and the conversation closes.

        Their messages are gone, so the last activity becomes that of the
        latest message left (``last_message_at``), or the conversation's start.
        """
        if self.mentee_id == person_id:
            self.mentee_id = None
        if self.mentor_id == person_id:
            self.mentor_id = None
        self.close("account_deleted")
        self.last_activity_at = last_message_at or self.created_at

    def close(self, reason: ClosedReason) -> None:
        """Make the conversation read-only; the first reason given stays."""
        if self.status != "closed":
            self.status = "closed"
            self.closed_reason = reason

    def post(self, sender_id: str, body: str, now: datetime) -> Message:
        """A new message from ``sender_id``, with the next sequence number.

        Raises:
            ConversationReadOnly: The conversation is closed.
            InvalidMessage: The body is empty, whitespace only or too long.
        """
        if not self.writable:
            raise ConversationReadOnly(self.closed_reason)
        check_body(body)
        self.last_seq += 1
        self.last_activity_at = now
        return Message(
            id=new_id(),
            conversation_id=self.id,
            seq=self.last_seq,
            sender_id=sender_id,
            body=body,
            sent_at=now,
        )

    def require_plan_writable(self) -> None:
        """Raise unless the match is accepted and still active (the plan can change).

        Raises:
            MatchNotAccepted: The match is only requested.
            ConversationReadOnly: The match is over.
        """
        if self.status == "requested":
            raise PlanNeedsAcceptedMatch()
        if self.status == "closed":
            raise ConversationReadOnly(self.closed_reason)

    def require_accepted(self) -> None:
        """Raise :class:`MatchNotAccepted` unless the match is accepted and active."""
        if self.status != "active":
            raise MatchNotAccepted()


def require_participant(conversation: Conversation | None, person_id: str) -> Conversation:
    """The conversation, if ``person_id`` is one of its two people.

    Raises:
        ConversationNotFound: No such conversation, or ``person_id`` is not in it
            (the same error: nobody else may learn that a conversation exists).
    """
    if conversation is None or not conversation.is_participant(person_id):
        raise ConversationNotFound()
    return conversation


def check_body(body: str) -> None:
    """Raise :class:`InvalidMessage` for an empty, blank or over-long body."""
    if not body.strip():
        raise InvalidMessage("a message cannot be empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidMessage(f"a message can be at most {MAX_MESSAGE_LENGTH} characters")


@dataclass
class Message:
    """One message; ``seq`` increases by one per message within a conversation.

    When the sender erases their account their messages are deleted. Rows
    with ``body`` and ``sender_id`` None and ``deleted`` set are placeholders
    left by erasures of earlier versions, which kept the row.
    """

    id: str
    conversation_id: str
    seq: int
    sender_id: str | None
    body: str | None
    sent_at: datetime
    deleted: bool = False


@dataclass
class Report:
    """A participant reported a message to the administrators."""

    id: str
    message_id: str
    conversation_id: str
    reporter_id: str
    reason: str
    created_at: datetime


@dataclass
class Session:
    """A mentoring or coaching session proposed in a conversation.

    ``sequence`` is the iCalendar SEQUENCE: it increases on every change so
    calendars replace the earlier invite.
    """

    id: str
    conversation_id: str
    match_id: str
    proposer_id: str
    other_id: str
    starts_at: datetime
    duration_minutes: int
    location: str | None
    online_link: str | None
    status: SessionStatus
    created_at: datetime
    updated_at: datetime
    sequence: int = 0

    @property
    def ends_at(self) -> datetime:
        """When the session ends."""
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def has_invite(self) -> bool:
        """Whether a calendar invite exists (it was confirmed at some point).

        Every change raises ``sequence`` by one and only a proposal is accepted, so a
        cancelled session was confirmed first exactly when it changed twice or more
        (accepted, then cancelled); a proposal cancelled at once has changed once.
        """
        return self.status in ("confirmed", "held") or (
            self.status == "cancelled" and self.sequence >= 2
        )

    def apply(self, action: SessionAction, actor_id: str, now: datetime) -> None:
        """Accept, decline, mark held or cancel, as ``actor_id``.

        Only the other person accepts or declines a proposal; either participant
        cancels a proposed or confirmed session, or marks a confirmed one held
        once it has started.

        Raises:
            SessionTransitionNotAllowed: Not from this status, or not by this person.
        """
        allowed = {
            "accept": self.status == "proposed" and actor_id == self.other_id,
            "decline": self.status == "proposed" and actor_id == self.other_id,
            "cancel": self.status in ("proposed", "confirmed"),
            "held": self.status == "confirmed" and self.starts_at <= now,
        }[action]
        if not allowed:
            raise SessionTransitionNotAllowed(self.status, action)
        self.status = {
            "accept": "confirmed",
            "decline": "declined",
            "cancel": "cancelled",
            "held": "held",
        }[action]  # type: ignore[assignment]
        self.sequence += 1
        self.updated_at = now


def require_session(session: Session | None) -> Session:
    """The session that was looked up in a conversation.

    Raises:
        SessionNotFound: It is not in that conversation.
    """
    if session is None:
        raise SessionNotFound()
    return session


def propose_session(
    conversation: Conversation,
    proposer_id: str,
    *,
    starts_at: datetime,
    duration_minutes: int,
    location: str | None,
    online_link: str | None,
    now: datetime,
) -> Session:
    """A proposed session in an active conversation.

    Raises:
        MatchNotAccepted: The match is not accepted (or no longer active).
        InvalidSession: Start not in the future, duration out of range, or no place.
    """
    conversation.require_accepted()
    other_id = conversation.other_participant(proposer_id)
    if other_id is None:
        raise MatchNotAccepted()
    if starts_at.utcoffset() is None:
        raise InvalidSession("the start needs a time zone")
    start = as_utc(starts_at)
    if start <= now:
        raise InvalidSession("the start must be in the future")
    if not MIN_SESSION_MINUTES <= duration_minutes <= MAX_SESSION_MINUTES:
        raise InvalidSession(
            f"a session lasts {MIN_SESSION_MINUTES} to {MAX_SESSION_MINUTES} minutes"
        )
    place = (location or "").strip() or None
    link = (online_link or "").strip() or None
    if place is None and link is None:
        raise InvalidSession("give a location or an online link")
    return Session(
        id=new_id(),
        conversation_id=conversation.id,
        match_id=conversation.match_id,
        proposer_id=proposer_id,
        other_id=other_id,
        starts_at=start,
        duration_minutes=duration_minutes,
        location=place,
        online_link=link,
        status="proposed",
        created_at=now,
        updated_at=now,
    )


def plan_series(
    conversation: Conversation,
    proposer_id: str,
    *,
    first_starts_at: datetime,
    location: str | None,
    online_link: str | None,
    now: datetime,
) -> list[Session]:
    """Six one-hour sessions three weeks apart, from ``first_starts_at``."""
    return [
        propose_session(
            conversation,
            proposer_id,
            starts_at=first_starts_at + index * SERIES_INTERVAL,
            duration_minutes=SERIES_DURATION_MINUTES,
            location=location,
            online_link=online_link,
            now=now,
        )
        for index in range(SERIES_COUNT)
    ]


@dataclass
class Person:
    """What the messaging service knows about someone: how to name them."""

    profile_id: str
    display_name: str
    initials: str
    anonymous: bool
    version: int
    goals: tuple[str, ...] = ()
    """A mentee's goals from their profile; they prefill the shared plan's goals."""


def visible_name(person: Person | None, *, shares_conversation: bool, erased: bool = False) -> str:
    """The name a viewer sees for ``person``.

    Privacy rule 1: an anonymous person shows as initials until they send a
    request. Everyone in a conversation took part in a request (the mentee sent
    it, the mentor received it), so the two participants always see each
    other's name; anyone else (an administrator reading a report) sees
    initials for an anonymous person.
    """
    if erased:
        return FORMER_MEMBER_NAME
    if person is None:
        return UNKNOWN_PERSON_NAME
    if person.anonymous and not shares_conversation:
        return person.initials
    return person.display_name


@dataclass
class ConversationSummary:
    """One line of someone's conversation list."""

    conversation: Conversation
    unread_count: int
