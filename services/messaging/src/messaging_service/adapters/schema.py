"""The messaging service's stored shape and its schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder

SQLITE_SCHEMA: list[str] = [
    # The current shape, step 1 of the ladder for a new file; a change here also needs
    # a step in LADDER below that brings older files to it.
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


async def ensure_messaging_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """Indexes the repositories and the read model rely on (idempotent)."""
    await db.conversations.create_index("match_id", unique=True)
    await db.conversations.create_index("mentee_id")
    await db.conversations.create_index("mentor_id")
    await db.messages.create_index(
        [("conversation_id", ASCENDING), ("seq", ASCENDING)], unique=True
    )
    await db.messages.create_index("sender_id")
    await db.read_states.create_index("reader_id")
    await db.reports.create_index([("created_at", DESCENDING)])
    await db.reports.create_index("reporter_id")
    await db.sessions.create_index([("conversation_id", ASCENDING), ("starts_at", ASCENDING)])
    await db.sessions.create_index("proposer_id")
    await db.sessions.create_index("other_id")
    await db.session_notes.create_index(
        [("session_id", ASCENDING), ("author_id", ASCENDING)], unique=True
    )
    await db.session_notes.create_index("author_id")
    await db.session_notes.create_index("conversation_id")


LADDER = Ladder(
    "messaging",
    [
        baseline_step(SQLITE_SCHEMA, ensure_messaging_indexes),
        OUTBOX_LANES,
    ],
)
