"""Commands: what callers ask the messaging service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from messaging_service.domain.model import ClosedReason, Person, SessionAction
from messaging_service.domain.plan import PlanAction


@dataclass(frozen=True)
class OpenConversation:
    """Open the conversation of a new match request, with its message first."""

    match_id: str
    mentee_id: str
    mentor_id: str
    message: str
    requested_at: datetime


@dataclass(frozen=True)
class ActivateConversation:
    """The match was accepted: keep the conversation open, allow sessions."""

    match_id: str
    mentee_id: str
    mentor_id: str
    accepted_at: datetime


@dataclass(frozen=True)
class CloseConversation:
    """The request or match is over: make the conversation read-only."""

    match_id: str
    reason: ClosedReason


@dataclass(frozen=True)
class SendMessage:
    """Post a message as one of the two participants."""

    conversation_id: str
    sender_id: str
    body: str


@dataclass(frozen=True)
class MarkRead:
    """Everything up to and including ``message_id`` has been read by ``reader_id``."""

    conversation_id: str
    reader_id: str
    message_id: str


@dataclass(frozen=True)
class ReportMessage:
    """Report a message to the administrators."""

    conversation_id: str
    message_id: str
    reporter_id: str
    reason: str


@dataclass(frozen=True)
class ProposeSession:
    """Propose one session."""

    conversation_id: str
    proposer_id: str
    starts_at: datetime
    duration_minutes: int
    location: str | None
    online_link: str | None


@dataclass(frozen=True)
class PlanSeries:
    """Propose six one-hour sessions three weeks apart."""

    conversation_id: str
    proposer_id: str
    first_starts_at: datetime
    location: str | None
    online_link: str | None


@dataclass(frozen=True)
class ChangeSession:
    """Accept, decline, mark held or cancel a session."""

    conversation_id: str
    session_id: str
    actor_id: str
    action: SessionAction


@dataclass(frozen=True)
class RecordPerson:
    """Remember someone's directory entry: name, anonymity, goals (from ``profile.upserted``)."""

    person: Person


@dataclass(frozen=True)
class ErasePerson:
    """Erase someone's messages, sessions and presence (from ``profile.deleted``)."""

    profile_id: str


@dataclass(frozen=True)
class RevisePlan:
    """Save the shared plan, based on the version the editor read."""

    conversation_id: str
    editor_id: str
    based_on: int
    goals: list[str]
    actions: list[PlanAction]


@dataclass(frozen=True)
class WriteSessionNote:
    """Replace the author's private notes on one session."""

    conversation_id: str
    session_id: str
    author_id: str
    body: str
