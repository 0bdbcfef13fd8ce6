"""SQLite adapters: the unit of work with its repositories, and the read model.

Conversations and messages are in :mod:`.sqlite_conversations`, sessions, plans
and notes in :mod:`.sqlite_sessions`; rows become domain objects through
:mod:`.records`. Times are stored as UTC epoch seconds (REAL) so they sort and
compare as numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.clock import to_epoch
from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from mentor_shared.storage.records import SqliteRepository, delete_in, insert, placeholders
from mentor_shared.storage.sqlite import SqliteDatabase
from messaging_service.adapters.records import (
    CONVERSATIONS,
    MESSAGES,
    PEOPLE,
    PLANS,
    REPORTS,
    SESSION_NOTES,
    SESSIONS,
)
from messaging_service.adapters.sqlite_conversations import (
    SqliteConversationRepository,
    SqliteMessageRepository,
    SqliteReadStateRepository,
    SqliteReportRepository,
)
from messaging_service.adapters.sqlite_sessions import (
    SqlitePlanRepository,
    SqliteSessionNoteRepository,
    SqliteSessionRepository,
)
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Report,
    Session,
)
from messaging_service.domain.plan import Plan, SessionNote
from messaging_service.service.ports import MessagingUnitOfWork, ReportedMessage

_PEOPLE = (
    "SELECT p.*, g.goals FROM people p LEFT JOIN person_goals g ON g.profile_id = p.profile_id"
)


class SqlitePersonRepository(SqliteRepository):
    """The directory of display names on SQLite."""

    async def get(self, profile_id: str) -> Person | None:
        """The person, or None."""
        return await self.first(PEOPLE, f"{_PEOPLE} WHERE p.profile_id = ?", (profile_id,))

    async def upsert(self, person: Person) -> bool:
        """Store unless an equal or newer version is held."""
        cursor = await self.conn.execute(
            *insert(
                "people",
                PEOPLE.to_row(person, skip=("goals",)),
                then="ON CONFLICT (profile_id) DO UPDATE SET "
                "display_name = excluded.display_name, initials = excluded.initials, "
                "anonymous = excluded.anonymous, version = excluded.version "
                "WHERE excluded.version > people.version",
            )
        )
        stored = cursor.rowcount == 1
        if stored:
            await self.conn.execute(
                *insert(
                    "person_goals",
                    PEOPLE.to_row(person, only=("profile_id", "goals")),
                    then="ON CONFLICT (profile_id) DO UPDATE SET goals = excluded.goals",
                )
            )
        return stored

    async def delete(self, profile_id: str) -> None:
        """Forget the person and their goals."""
        await self.conn.execute("DELETE FROM people WHERE profile_id = ?", (profile_id,))
        await self.conn.execute("DELETE FROM person_goals WHERE profile_id = ?", (profile_id,))


class SqliteErasedSubjectRepository(SqliteRepository):
    """The shared ``erased_subjects`` table, in the unit of work's transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the id as erased."""
        await mark_erased_sqlite(self.conn, subject_id)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return bool(await is_erased_sqlite(self.conn, subject_id))


class SqliteRetainedEventRepository(SqliteRepository):
    """The outbox table, as data about the people its events name."""

    async def forget(self, keys: Sequence[str]) -> int:
        """Drop the outbox rows keyed by ``keys``, sent or not."""
        return await delete_in(self.conn, "outbox", "key", keys)


class SqliteMessagingUnitOfWork(SqliteUnitOfWork, MessagingUnitOfWork):
    """The messaging service's write transaction on SQLite."""

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's connection."""
        self.conversations = SqliteConversationRepository(self.conn)
        self.messages = SqliteMessageRepository(self.conn)
        self.read_states = SqliteReadStateRepository(self.conn)
        self.reports = SqliteReportRepository(self.conn)
        self.sessions = SqliteSessionRepository(self.conn)
        self.plans = SqlitePlanRepository(self.conn)
        self.session_notes = SqliteSessionNoteRepository(self.conn)
        self.people = SqlitePersonRepository(self.conn)
        self.erased = SqliteErasedSubjectRepository(self.conn)
        self.retained_events = SqliteRetainedEventRepository(self.conn)


_REPORTED_MESSAGE = ", ".join(f"m.{column} AS m_{column}" for column in MESSAGES.columns)
"""The reported message's columns beside the report's own (``m_id``, ``m_body``...)."""

_UNREAD = (
    "(SELECT count(*) FROM messages m WHERE m.conversation_id = c.id "
    "AND m.seq > coalesce((SELECT r.last_read_seq FROM read_states r "
    "WHERE r.conversation_id = c.id AND r.reader_id = :me), 0) "
    "AND (m.sender_id IS NULL OR m.sender_id != :me))"
)


class SqliteMessagingReadModel:
    """Read-only queries on the reader connection (WAL: never waits for a writer)."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def conversation(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        row = await self.db.fetchone("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return CONVERSATIONS.from_row(row) if row else None

    async def conversations_of(self, person_id: str) -> list[ConversationSummary]:
        """The person's conversations, newest activity first, with unread counts."""
        rows = await self.db.fetchall(
            f"SELECT c.*, {_UNREAD} AS unread FROM conversations c "  # noqa: S608 - constant
            "WHERE c.mentee_id = :me OR c.mentor_id = :me "
            "ORDER BY c.last_activity_at DESC, c.id DESC",
            {"me": person_id},  # type: ignore[arg-type]
        )
        return [
            ConversationSummary(CONVERSATIONS.from_row(row), int(row["unread"])) for row in rows
        ]

    async def messages_before(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """Messages with ``seq < before_seq``, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?",
            (conversation_id, before_seq if before_seq is not None else 2**62, limit),
        )
        return [MESSAGES.from_row(row) for row in rows]

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[Message]:
        """Messages with ``seq > after_seq``, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [MESSAGES.from_row(row) for row in rows]

    async def unread_count(self, conversation_id: str, reader_id: str) -> int:
        """Messages by someone else after the reader's mark."""
        row = await self.db.fetchone(
            f"SELECT {_UNREAD} AS unread FROM conversations c WHERE c.id = :id",  # noqa: S608
            {"me": reader_id, "id": conversation_id},  # type: ignore[arg-type]
        )
        return int(row["unread"]) if row else 0

    async def sessions(self, conversation_id: str) -> list[Session]:
        """The conversation's sessions by start time."""
        rows = await self.db.fetchall(
            "SELECT * FROM sessions WHERE conversation_id = ? ORDER BY starts_at, id",
            (conversation_id,),
        )
        return [SESSIONS.from_row(row) for row in rows]

    async def session(self, conversation_id: str, session_id: str) -> Session | None:
        """One session of the conversation, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM sessions WHERE id = ? AND conversation_id = ?",
            (session_id, conversation_id),
        )
        return SESSIONS.from_row(row) if row else None

    async def reports(self, limit: int, before: datetime | None = None) -> list[ReportedMessage]:
        """Reports newest first, each with the reported message as it is now."""
        rows = await self.db.fetchall(
            f"SELECT r.*, {_REPORTED_MESSAGE} "  # noqa: S608 - constant
            "FROM reports r LEFT JOIN messages m ON m.id = r.message_id "
            "WHERE r.created_at < ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
            (to_epoch(before) if before is not None else float("inf"), limit),
        )
        return [
            ReportedMessage(
                report=REPORTS.from_row(row),
                message=(
                    MESSAGES.from_row({c: row[f"m_{c}"] for c in MESSAGES.columns})
                    if row["m_id"] is not None
                    else None
                ),
            )
            for row in rows
        ]

    async def people(self, profile_ids: Iterable[str]) -> dict[str, Person]:
        """The directory entries known for the ids."""
        ids = sorted(set(profile_ids))
        if not ids:
            return {}
        rows = await self.db.fetchall(
            f"{_PEOPLE} WHERE p.profile_id IN ({placeholders(len(ids))})",
            ids,
        )
        return {row["profile_id"]: PEOPLE.from_row(row) for row in rows}

    async def read_marks_of(self, reader_id: str) -> dict[str, int]:
        """How far the reader has read, by conversation id."""
        rows = await self.db.fetchall(
            "SELECT conversation_id, last_read_seq FROM read_states WHERE reader_id = ?",
            (reader_id,),
        )
        return {row["conversation_id"]: int(row["last_read_seq"]) for row in rows}

    async def reports_by(self, reporter_id: str) -> list[Report]:
        """The reports the person made, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM reports WHERE reporter_id = ? ORDER BY created_at, id",
            (reporter_id,),
        )
        return [REPORTS.from_row(row) for row in rows]

    async def plan(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM plans WHERE conversation_id = ?", (conversation_id,)
        )
        return PLANS.from_row(row) if row else None

    async def session_note(self, session_id: str, author_id: str) -> SessionNote | None:
        """The author's notes on the session, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM session_notes WHERE session_id = ? AND author_id = ?",
            (session_id, author_id),
        )
        return SESSION_NOTES.from_row(row) if row else None

    async def session_notes_by(self, author_id: str) -> list[SessionNote]:
        """Every note the author wrote, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM session_notes WHERE author_id = ? ORDER BY updated_at, session_id",
            (author_id,),
        )
        return [SESSION_NOTES.from_row(row) for row in rows]
