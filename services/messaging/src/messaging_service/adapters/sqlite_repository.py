"""SQLite adapters: repositories on the unit of work's connection, and the read model.

Times are stored as UTC epoch seconds (REAL) so they sort and compare as numbers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from mentor_shared.storage.sqlite import Connection, SqliteDatabase
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Report,
    Session,
)
from messaging_service.domain.plan import Plan, PlanAction, SessionNote
from messaging_service.service.ports import (
    ConversationRepository,
    ErasedSubjectRepository,
    MessageRepository,
    PersonRepository,
    PlanRepository,
    ReadStateRepository,
    ReportedMessage,
    ReportRepository,
    RetainedEventRepository,
    SessionNoteRepository,
    SessionRepository,
)

SQLITE_SCHEMA: list[str] = [
    # The current shape, step 1 of the ladder for a new file; a change here also needs
    # a step in adapters/schema.py that brings older files to it.
    """
    CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        match_id TEXT NOT NULL UNIQUE,
        mentee_id TEXT,
        mentor_id TEXT,
        status TEXT NOT NULL,
        closed_reason TEXT,
        created_at REAL NOT NULL,
        last_activity_at REAL NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS conversations_mentee ON conversations (mentee_id);
    CREATE INDEX IF NOT EXISTS conversations_mentor ON conversations (mentor_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS messages (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL REFERENCES conversations (id),
        seq INTEGER NOT NULL,
        sender_id TEXT,
        body TEXT,
        sent_at REAL NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        UNIQUE (conversation_id, seq)
    );
    CREATE INDEX IF NOT EXISTS messages_sender ON messages (sender_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS read_states (
        conversation_id TEXT NOT NULL,
        reader_id TEXT NOT NULL,
        last_read_seq INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, reader_id)
    );
    CREATE INDEX IF NOT EXISTS read_states_reader ON read_states (reader_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS reports (
        id TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        reporter_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS reports_created ON reports (created_at);
    CREATE INDEX IF NOT EXISTS reports_reporter ON reports (reporter_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS sessions (
        id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        match_id TEXT NOT NULL,
        proposer_id TEXT NOT NULL,
        other_id TEXT NOT NULL,
        starts_at REAL NOT NULL,
        duration_minutes INTEGER NOT NULL,
        location TEXT,
        online_link TEXT,
        status TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS sessions_conversation ON sessions (conversation_id, starts_at);
    CREATE INDEX IF NOT EXISTS sessions_proposer ON sessions (proposer_id);
    CREATE INDEX IF NOT EXISTS sessions_other ON sessions (other_id);
    """,
    """
    CREATE TABLE IF NOT EXISTS people (
        profile_id TEXT PRIMARY KEY,
        display_name TEXT NOT NULL,
        initials TEXT NOT NULL,
        anonymous INTEGER NOT NULL,
        version INTEGER NOT NULL
    );
    """,
    # A mentee's profile goals, kept beside the people directory: they prefill the
    # shared plan. Written with the directory entry, erased with it.
    """
    CREATE TABLE IF NOT EXISTS person_goals (
        profile_id TEXT PRIMARY KEY,
        goals TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE IF NOT EXISTS plans (
        conversation_id TEXT PRIMARY KEY,
        goals TEXT NOT NULL,
        actions TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at REAL,
        updated_by TEXT
    );
    """,
    """
    CREATE TABLE IF NOT EXISTS session_notes (
        session_id TEXT NOT NULL,
        author_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        body TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (session_id, author_id)
    );
    CREATE INDEX IF NOT EXISTS session_notes_author ON session_notes (author_id);
    CREATE INDEX IF NOT EXISTS session_notes_conversation ON session_notes (conversation_id);
    """,
]


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _conversation(row: Any) -> Conversation:
    return Conversation(
        id=row["id"],
        match_id=row["match_id"],
        mentee_id=row["mentee_id"],
        mentor_id=row["mentor_id"],
        status=row["status"],
        closed_reason=row["closed_reason"],
        created_at=_dt(row["created_at"]),
        last_activity_at=_dt(row["last_activity_at"]),
        last_seq=row["last_seq"],
    )


def _message(row: Any) -> Message:
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        seq=row["seq"],
        sender_id=row["sender_id"],
        body=row["body"],
        sent_at=_dt(row["sent_at"]),
        deleted=bool(row["deleted"]),
    )


def _session(row: Any) -> Session:
    return Session(
        id=row["id"],
        conversation_id=row["conversation_id"],
        match_id=row["match_id"],
        proposer_id=row["proposer_id"],
        other_id=row["other_id"],
        starts_at=_dt(row["starts_at"]),
        duration_minutes=row["duration_minutes"],
        location=row["location"],
        online_link=row["online_link"],
        status=row["status"],
        sequence=row["sequence"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
    )


def _person(row: Any) -> Person:
    return Person(
        profile_id=row["profile_id"],
        display_name=row["display_name"],
        initials=row["initials"],
        anonymous=bool(row["anonymous"]),
        version=row["version"],
        goals=tuple(json.loads(row["goals"])) if row["goals"] else (),
    )


_PEOPLE = (
    "SELECT p.*, g.goals FROM people p LEFT JOIN person_goals g ON g.profile_id = p.profile_id"
)


def actions_json(actions: Sequence[PlanAction]) -> str:
    """The plan's actions as JSON (dates as ISO strings)."""
    return json.dumps(
        [
            {
                "id": a.id,
                "text": a.text,
                "owner": a.owner,
                "due_on": a.due_on.isoformat() if a.due_on else None,
                "done": a.done,
            }
            for a in actions
        ]
    )


def actions_from(items: Sequence[dict[str, Any]]) -> list[PlanAction]:
    """Actions back from their stored form."""
    return [
        PlanAction(
            id=item["id"],
            text=item["text"],
            owner=item["owner"],
            due_on=date.fromisoformat(item["due_on"]) if item["due_on"] else None,
            done=bool(item["done"]),
        )
        for item in items
    ]


def _plan(row: Any) -> Plan:
    return Plan(
        conversation_id=row["conversation_id"],
        goals=list(json.loads(row["goals"])),
        actions=actions_from(json.loads(row["actions"])),
        version=row["version"],
        updated_at=_dt(row["updated_at"]) if row["updated_at"] is not None else None,
        updated_by=row["updated_by"],
    )


def _note(row: Any) -> SessionNote:
    return SessionNote(
        conversation_id=row["conversation_id"],
        session_id=row["session_id"],
        author_id=row["author_id"],
        body=row["body"],
        updated_at=_dt(row["updated_at"]),
    )


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: tuple[Any, ...]) -> Any:
        async with self.conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


def _marks(count: int) -> str:
    return ",".join("?" * count)


class SqliteConversationRepository(_Repo):
    """Conversations on SQLite."""

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None."""
        row = await self._one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        return _conversation(row) if row else None

    async def get_by_match(self, match_id: str) -> Conversation | None:
        """The conversation of a match, or None."""
        row = await self._one("SELECT * FROM conversations WHERE match_id = ?", (match_id,))
        return _conversation(row) if row else None

    async def add(self, conversation: Conversation) -> None:
        """Store a new conversation."""
        c = conversation
        await self.conn.execute(
            "INSERT INTO conversations (id, match_id, mentee_id, mentor_id, status, "
            "closed_reason, created_at, last_activity_at, last_seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                c.id,
                c.match_id,
                c.mentee_id,
                c.mentor_id,
                c.status,
                c.closed_reason,
                _ts(c.created_at),
                _ts(c.last_activity_at),
                c.last_seq,
            ),
        )

    async def update(self, conversation: Conversation) -> None:
        """Save status, participants, last sequence and activity time."""
        c = conversation
        await self.conn.execute(
            "UPDATE conversations SET mentee_id = ?, mentor_id = ?, status = ?, "
            "closed_reason = ?, last_activity_at = ?, last_seq = ? WHERE id = ?",
            (
                c.mentee_id,
                c.mentor_id,
                c.status,
                c.closed_reason,
                _ts(c.last_activity_at),
                c.last_seq,
                c.id,
            ),
        )

    async def list_for_participant(self, person_id: str) -> list[Conversation]:
        """Every conversation the person takes part in."""
        rows = await self._all(
            "SELECT * FROM conversations WHERE mentee_id = ? OR mentor_id = ?",
            (person_id, person_id),
        )
        return [_conversation(row) for row in rows]

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation and everything in it."""
        for table in ("reports", "read_states", "session_notes", "plans", "sessions", "messages"):
            await self.conn.execute(
                f"DELETE FROM {table} WHERE conversation_id = ?",  # noqa: S608 - constant
                (conversation_id,),
            )
        await self.conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))


class SqliteMessageRepository(_Repo):
    """Messages on SQLite."""

    async def add(self, message: Message) -> None:
        """Store a new message."""
        m = message
        await self.conn.execute(
            "INSERT INTO messages (id, conversation_id, seq, sender_id, body, sent_at, deleted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (m.id, m.conversation_id, m.seq, m.sender_id, m.body, _ts(m.sent_at), int(m.deleted)),
        )

    async def get(self, conversation_id: str, message_id: str) -> Message | None:
        """A message of the conversation, or None."""
        row = await self._one(
            "SELECT * FROM messages WHERE id = ? AND conversation_id = ?",
            (message_id, conversation_id),
        )
        return _message(row) if row else None

    async def delete_by_sender(self, person_id: str) -> list[str]:
        """Drop the person's messages; returns their ids."""
        rows = await self._all("SELECT id FROM messages WHERE sender_id = ?", (person_id,))
        await self.conn.execute("DELETE FROM messages WHERE sender_id = ?", (person_id,))
        return [row["id"] for row in rows]

    async def last_sent_at(self, conversation_id: str) -> datetime | None:
        """When the latest message was sent."""
        row = await self._one(
            "SELECT max(sent_at) AS last FROM messages WHERE conversation_id = ?",
            (conversation_id,),
        )
        return _dt(row["last"]) if row and row["last"] is not None else None


class SqliteReadStateRepository(_Repo):
    """Read marks on SQLite."""

    async def mark_read(self, conversation_id: str, reader_id: str, seq: int) -> int:
        """Raise the reader's mark to ``seq``; returns the mark now held."""
        await self.conn.execute(
            "INSERT INTO read_states (conversation_id, reader_id, last_read_seq) VALUES (?, ?, ?) "
            "ON CONFLICT (conversation_id, reader_id) DO UPDATE SET "
            "last_read_seq = max(last_read_seq, excluded.last_read_seq)",
            (conversation_id, reader_id, seq),
        )
        row = await self._one(
            "SELECT last_read_seq FROM read_states WHERE conversation_id = ? AND reader_id = ?",
            (conversation_id, reader_id),
        )
        return int(row["last_read_seq"])

    async def delete_reader(self, person_id: str) -> None:
        """Forget the person's marks."""
        await self.conn.execute("DELETE FROM read_states WHERE reader_id = ?", (person_id,))


class SqliteReportRepository(_Repo):
    """Reports on SQLite."""

    async def add(self, report: Report) -> None:
        """Store a new report."""
        r = report
        await self.conn.execute(
            "INSERT INTO reports (id, message_id, conversation_id, reporter_id, reason, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (r.id, r.message_id, r.conversation_id, r.reporter_id, r.reason, _ts(r.created_at)),
        )

    async def delete_by_reporter(self, person_id: str) -> int:
        """Drop the person's reports."""
        cursor = await self.conn.execute("DELETE FROM reports WHERE reporter_id = ?", (person_id,))
        return cursor.rowcount

    async def delete_for_messages(self, message_ids: Sequence[str]) -> int:
        """Drop the reports of these messages."""
        deleted = 0
        for start in range(0, len(message_ids), 500):
            chunk = list(message_ids[start : start + 500])
            cursor = await self.conn.execute(
                f"DELETE FROM reports WHERE message_id IN ({_marks(len(chunk))})",  # noqa: S608
                chunk,
            )
            deleted += cursor.rowcount
        return deleted


class SqliteSessionRepository(_Repo):
    """Sessions on SQLite."""

    async def add(self, session: Session) -> None:
        """Store a new session."""
        s = session
        await self.conn.execute(
            "INSERT INTO sessions (id, conversation_id, match_id, proposer_id, other_id, "
            "starts_at, duration_minutes, location, online_link, status, sequence, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.id,
                s.conversation_id,
                s.match_id,
                s.proposer_id,
                s.other_id,
                _ts(s.starts_at),
                s.duration_minutes,
                s.location,
                s.online_link,
                s.status,
                s.sequence,
                _ts(s.created_at),
                _ts(s.updated_at),
            ),
        )

    async def get(self, conversation_id: str, session_id: str) -> Session | None:
        """A session of the conversation, or None."""
        row = await self._one(
            "SELECT * FROM sessions WHERE id = ? AND conversation_id = ?",
            (session_id, conversation_id),
        )
        return _session(row) if row else None

    async def update(self, session: Session) -> None:
        """Save status, sequence and update time."""
        await self.conn.execute(
            "UPDATE sessions SET status = ?, sequence = ?, updated_at = ? WHERE id = ?",
            (session.status, session.sequence, _ts(session.updated_at), session.id),
        )

    async def count_confirmed(self, conversation_id: str) -> int:
        """How many sessions of the conversation are confirmed or held."""
        row = await self._one(
            "SELECT COUNT(*) AS n FROM sessions WHERE conversation_id = ? "
            "AND status IN ('confirmed', 'held')",
            (conversation_id,),
        )
        return int(row["n"]) if row else 0

    async def delete_for_participant(self, person_id: str) -> int:
        """Drop every session the person is part of."""
        cursor = await self.conn.execute(
            "DELETE FROM sessions WHERE proposer_id = ? OR other_id = ?", (person_id, person_id)
        )
        return cursor.rowcount


class SqlitePlanRepository(_Repo):
    """Shared plans on SQLite."""

    async def get(self, conversation_id: str) -> Plan | None:
        """The saved plan, or None."""
        row = await self._one("SELECT * FROM plans WHERE conversation_id = ?", (conversation_id,))
        return _plan(row) if row else None

    async def save(self, plan: Plan, expected_version: int) -> bool:
        """Store the plan if the stored version is still ``expected_version``."""
        values = (
            json.dumps(plan.goals),
            actions_json(plan.actions),
            plan.version,
            _ts(plan.updated_at) if plan.updated_at else None,
            plan.updated_by,
        )
        if expected_version == 0:
            cursor = await self.conn.execute(
                "INSERT INTO plans (goals, actions, version, updated_at, updated_by, "
                "conversation_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (conversation_id) DO NOTHING",
                (*values, plan.conversation_id),
            )
        else:
            cursor = await self.conn.execute(
                "UPDATE plans SET goals = ?, actions = ?, version = ?, updated_at = ?, "
                "updated_by = ? WHERE conversation_id = ? AND version = ?",
                (*values, plan.conversation_id, expected_version),
            )
        return cursor.rowcount == 1

    async def delete(self, conversation_id: str) -> None:
        """Drop the conversation's plan."""
        await self.conn.execute("DELETE FROM plans WHERE conversation_id = ?", (conversation_id,))


class SqliteSessionNoteRepository(_Repo):
    """Private session notes on SQLite."""

    async def save(self, note: SessionNote) -> None:
        """Store or replace the author's notes on the session."""
        await self.conn.execute(
            "INSERT INTO session_notes (session_id, author_id, conversation_id, body, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (session_id, author_id) DO UPDATE SET "
            "body = excluded.body, updated_at = excluded.updated_at",
            (
                note.session_id,
                note.author_id,
                note.conversation_id,
                note.body,
                _ts(note.updated_at),
            ),
        )

    async def delete_for_conversation(self, conversation_id: str) -> int:
        """Drop every note of the conversation."""
        cursor = await self.conn.execute(
            "DELETE FROM session_notes WHERE conversation_id = ?", (conversation_id,)
        )
        return cursor.rowcount

    async def delete_by_author(self, person_id: str) -> int:
        """Drop every note the person wrote."""
        cursor = await self.conn.execute(
            "DELETE FROM session_notes WHERE author_id = ?", (person_id,)
        )
        return cursor.rowcount


class SqlitePersonRepository(_Repo):
    """The directory of display names on SQLite."""

    async def get(self, profile_id: str) -> Person | None:
        """The person, or None."""
        row = await self._one(f"{_PEOPLE} WHERE p.profile_id = ?", (profile_id,))
        return _person(row) if row else None

    async def upsert(self, person: Person) -> bool:
        """Store unless an equal or newer version is held."""
        p = person
        cursor = await self.conn.execute(
            "INSERT INTO people (profile_id, display_name, initials, anonymous, version) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile_id) DO UPDATE SET "
            "display_name = excluded.display_name, initials = excluded.initials, "
            "anonymous = excluded.anonymous, version = excluded.version "
            "WHERE excluded.version > people.version",
            (p.profile_id, p.display_name, p.initials, int(p.anonymous), p.version),
        )
        stored = cursor.rowcount == 1
        if stored:
            await self.conn.execute(
                "INSERT INTO person_goals (profile_id, goals) VALUES (?, ?) "
                "ON CONFLICT (profile_id) DO UPDATE SET goals = excluded.goals",
                (p.profile_id, json.dumps(list(p.goals))),
            )
        return stored

    async def delete(self, profile_id: str) -> None:
        """Forget the person and their goals."""
        await self.conn.execute("DELETE FROM people WHERE profile_id = ?", (profile_id,))
        await self.conn.execute("DELETE FROM person_goals WHERE profile_id = ?", (profile_id,))


class SqliteErasedSubjectRepository(_Repo):
    """The shared ``erased_subjects`` table, in the unit of work's transaction."""

    async def add(self, subject_id: str) -> None:
        """Record the id as erased."""
        await mark_erased_sqlite(self.conn, subject_id)

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        return bool(await is_erased_sqlite(self.conn, subject_id))


class SqliteRetainedEventRepository(_Repo):
    """The outbox table, as data about the people its events name."""

    async def forget(self, keys: Sequence[str]) -> int:
        """Drop the outbox rows keyed by ``keys``, sent or not."""
        deleted = 0
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            cursor = await self.conn.execute(
                f"DELETE FROM outbox WHERE key IN ({_marks(len(chunk))})",  # noqa: S608
                chunk,
            )
            deleted += cursor.rowcount
        return deleted


class SqliteMessagingUnitOfWork(SqliteUnitOfWork):
    """The messaging service's write transaction on SQLite."""

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
        return _conversation(row) if row else None

    async def conversations_of(self, person_id: str) -> list[ConversationSummary]:
        """The person's conversations, newest activity first, with unread counts."""
        rows = await self.db.fetchall(
            f"SELECT c.*, {_UNREAD} AS unread FROM conversations c "  # noqa: S608 - constant
            "WHERE c.mentee_id = :me OR c.mentor_id = :me "
            "ORDER BY c.last_activity_at DESC, c.id DESC",
            {"me": person_id},  # type: ignore[arg-type]
        )
        return [ConversationSummary(_conversation(row), int(row["unread"])) for row in rows]

    async def messages_before(
        self, conversation_id: str, before_seq: int | None, limit: int
    ) -> list[Message]:
        """Messages with ``seq < before_seq``, newest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq < ? "
            "ORDER BY seq DESC LIMIT ?",
            (conversation_id, before_seq if before_seq is not None else 2**62, limit),
        )
        return [_message(row) for row in rows]

    async def messages_after(
        self, conversation_id: str, after_seq: int, limit: int
    ) -> list[Message]:
        """Messages with ``seq > after_seq``, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [_message(row) for row in rows]

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
        return [_session(row) for row in rows]

    async def session(self, conversation_id: str, session_id: str) -> Session | None:
        """One session of the conversation, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM sessions WHERE id = ? AND conversation_id = ?",
            (session_id, conversation_id),
        )
        return _session(row) if row else None

    async def reports(self, limit: int, before: datetime | None = None) -> list[ReportedMessage]:
        """Reports newest first, each with the reported message as it is now."""
        rows = await self.db.fetchall(
            "SELECT r.id AS r_id, r.message_id AS r_message_id, "
            "r.conversation_id AS r_conversation_id, r.reporter_id, r.reason, r.created_at, "
            "m.id, m.conversation_id, m.seq, m.sender_id, m.body, m.sent_at, m.deleted "
            "FROM reports r LEFT JOIN messages m ON m.id = r.message_id "
            "WHERE r.created_at < ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
            (_ts(before) if before is not None else float("inf"), limit),
        )
        return [
            ReportedMessage(
                report=Report(
                    id=row["r_id"],
                    message_id=row["r_message_id"],
                    conversation_id=row["r_conversation_id"],
                    reporter_id=row["reporter_id"],
                    reason=row["reason"],
                    created_at=_dt(row["created_at"]),
                ),
                message=_message(row) if row["id"] is not None else None,
            )
            for row in rows
        ]

    async def people(self, profile_ids: Iterable[str]) -> dict[str, Person]:
        """The directory entries known for the ids."""
        ids = sorted(set(profile_ids))
        if not ids:
            return {}
        rows = await self.db.fetchall(
            f"{_PEOPLE} WHERE p.profile_id IN ({_marks(len(ids))})",
            ids,
        )
        return {row["profile_id"]: _person(row) for row in rows}

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
        return [
            Report(
                id=row["id"],
                message_id=row["message_id"],
                conversation_id=row["conversation_id"],
                reporter_id=row["reporter_id"],
                reason=row["reason"],
                created_at=_dt(row["created_at"]),
            )
            for row in rows
        ]

    async def plan(self, conversation_id: str) -> Plan | None:
        """The saved plan of the conversation, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM plans WHERE conversation_id = ?", (conversation_id,)
        )
        return _plan(row) if row else None

    async def session_note(self, session_id: str, author_id: str) -> SessionNote | None:
        """The author's notes on the session, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM session_notes WHERE session_id = ? AND author_id = ?",
            (session_id, author_id),
        )
        return _note(row) if row else None

    async def session_notes_by(self, author_id: str) -> list[SessionNote]:
        """Every note the author wrote, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM session_notes WHERE author_id = ? ORDER BY updated_at, session_id",
            (author_id,),
        )
        return [_note(row) for row in rows]
