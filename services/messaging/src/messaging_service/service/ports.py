"""Ports of the messaging service: repositories, the unit of work and the read model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from mentor_shared.bus.records import UnitOfWork
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Report,
    Session,
)
from messaging_service.domain.plan import Plan, SessionNote


class ConversationRepository(Protocol):
    """Conversations, inside a unit of work."""

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        ...

    async def get_by_match(self, match_id: str) -> Conversation | None:
        """The conversation of a match, or None."""
        ...

    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        ...

    async def update(self, conversation: Conversation) -> None:
        """Save status, participants, last sequence and activity time."""
        ...

    async def list_for_participant(self, person_id: str) -> list[Conversation]:
        """Every conversation ``person_id`` takes part in."""
        ...

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation with its messages, read marks, reports and sessions."""
        ...


class MessageRepository(Protocol):
    """Messages, inside a unit of work."""

    async def add(self, message: Message) -> None:
        """Store a new message."""
        ...

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        """A message of the conversation, or None."""
        ...

    async def delete_by_sender(self, person_id: str) -> list[str]:
        """Drop every message ``person_id`` wrote; returns their ids."""
        ...

    async def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When the conversation's latest message was sent, or None without messages."""
        ...


class ReadStateRepository(Protocol):
    """How far each participant has read, inside a unit of work."""

    async def mark_read(self, conversation_id: str, reader_id: str, seq: int) -> int:
        """Raise the reader's mark to ``seq`` (never lowers it); returns the mark now held."""
        ...

    async def delete_reader(self, person_id: str) -> None:
        """Forget every mark of ``person_id``."""
        ...


class ReportRepository(Protocol):
    """Reports of messages, inside a unit of work."""

    async def add(self, report: Report) -> None:
        """Store a new report."""
        ...

    async def delete_by_reporter(self, person_id: str) -> int:
        """Drop the reports ``person_id`` made; returns how many."""
        ...

    async def delete_for_messages(self, message_ids: Sequence[str]) -> int:
        """Drop the reports of these messages; returns how many."""
        ...


class SessionRepository(Protocol):
    """Sessions, inside a unit of work."""

    async def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    async def get(self, conversation_id: str, session_id: str) -> Session | None:
        """A session of the conversation, or None."""
        ...

    async def update(self, session: Session) -> None:
        """Save status, sequence and update time."""
        ...

    async def count_confirmed(self, conversation_id: str) -> int:
        """How many sessions of the conversation are confirmed or held."""
        ...

    async def delete_for_participant(self, person_id: str) -> int:
        """Drop every session ``person_id`` proposed or was invited to; returns how many."""
        ...


class PlanRepository(Protocol):
    """Shared plans, inside a unit of work."""

    async def get(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        ...

    async def save(self, plan: Plan, expected_version: int) -> bool:
        """Store ``plan`` if the stored version is still ``expected_version`` (0: none).

        Returns False, storing nothing, when someone saved in between.
        """
        ...

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation's plan."""
        ...


class SessionNoteRepository(Protocol):
    """Private session notes, inside a unit of work."""

    async def save(self, note: SessionNote) -> None:
        """Store or replace the author's notes on the session."""
        ...

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Drop every note of the conversation, whoever wrote it; returns how many."""
        ...

    async def delete_by_author(self, person_id: str) -> int:
        """Drop every note ``person_id`` wrote; returns how many."""
        ...


class PersonRepository(Protocol):
    """The small directory of display names, inside a unit of work."""

    async def get(self, profile_id: str) -> Person | None:
        """The person, or None."""
        ...

    async def upsert(self, person: Person) -> bool:
        """Store ``person`` unless a newer or equal version is held; True when stored."""
        ...

    async def delete(self, profile_id: str) -> None:
        """Forget the person."""
        ...


class ErasedSubjectRepository(Protocol):
    """The ids of people who erased their account, inside a unit of work."""

    async def add(self, subject_id: str) -> None:
        """Record ``subject_id`` as erased (idempotent)."""
        ...

    async def contains(self, subject_id: str) -> bool:
        """Whether ``subject_id`` erased their account."""
        ...


class RetainedEventRepository(Protocol):
    """This service's outbox seen as data about people, inside a unit of work."""

    async def forget(self, keys: Sequence[str]) -> int:
        """Drop every outbox row keyed by one of ``keys``, sent or not; returns how many."""
        ...


class MessagingUnitOfWork(UnitOfWork, Protocol):
    """The messaging service's transaction with its repositories.

    Each store's unit of work subclasses this port and sets every repository in
    ``open_repositories``, so the repositories are declared here only.
    """

    conversations: ConversationRepository
    messages: MessageRepository
    read_states: ReadStateRepository
    reports: ReportRepository
    sessions: SessionRepository
    plans: PlanRepository
    session_notes: SessionNoteRepository
    people: PersonRepository
    erased: ErasedSubjectRepository
    retained_events: RetainedEventRepository


@dataclass(frozen=True)
class ReportedMessage:
    """A report as the administrators' queue shows it: the message, not the conversation."""

    report: Report
    message: Message | None


class MessagingReadModel(Protocol):
    """Read-only queries for lists and views, outside any write transaction."""

    async def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        ...

    async def conversations_of(self, person_id: str) -> list[ConversationSummary]:
        """``person_id``'s conversations, newest activity first, with unread counts."""
        ...

    async def messages_before(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """Up to ``limit`` messages with ``seq < before_seq`` (all when None), newest first."""
        ...

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[Message]:
        """Up to ``limit`` messages with ``seq > after_seq``, oldest first."""
        ...

    async def unread_count(self, conversation_id: str, reader_id: str) -> int:
        """Messages by someone else after the reader's mark."""
        ...

    async def sessions(self, conversation_id: str) -> list[Session]:
        """The conversation's sessions by start time."""
        ...

    async def session(self, conversation_id: str, session_id: str) -> Session | None:
        """One session of the conversation, or None."""
        ...

    async def reports(self, limit: int, before: datetime | None = None) -> list[ReportedMessage]:
        """Reports newest first, each with the reported message as it is now."""
        ...

    async def people(self, profile_ids: Iterable[str]) -> dict[str, Person]:
        """The directory entries known for ``profile_ids``."""
        ...

    async def read_marks_of(self, reader_id: str) -> dict[str, int]:
        """How far ``reader_id`` has read, by conversation id."""
        ...

    async def reports_by(self, reporter_id: str) -> list[Report]:
        """The reports ``reporter_id`` made, oldest first."""
        ...

    async def plan(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        ...

    async def session_note(self, session_id: str, author_id: str) -> SessionNote | None:
        """``author_id``'s notes on the session, or None."""
        ...

    async def session_notes_by(self, author_id: str) -> list[SessionNote]:
        """Every note ``author_id`` wrote, oldest first."""
        ...


def sorted_newest_first(summaries: Sequence[ConversationSummary]) -> list[ConversationSummary]:
    """Conversations by latest activity, newest first (ties by id, for a stable order)."""
    return sorted(
        summaries,
        key=lambda s: (s.conversation.last_activity_at, s.conversation.id),
        reverse=True,
    )
