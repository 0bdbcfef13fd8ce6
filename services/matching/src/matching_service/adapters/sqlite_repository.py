"""The matching service's tables on SQLite (the embedded default store)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from matching_service.adapters.records import (
    MATCH_FIELDS,
    TEXT,
    applied_from,
    match_from,
    match_record,
    reply_times_from,
    saved_from,
)
from matching_service.domain.availability import ACTIVE_STATUSES
from matching_service.domain.matches import Match
from matching_service.domain.replies import ReplyTimes
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import AppliedEvent, MatchingUnitOfWork
from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.clock import to_text
from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from mentor_shared.events.schemas import ProfileUpserted
from mentor_shared.limits import key_digest
from mentor_shared.storage.sqlite import Connection

SQLITE_SCHEMA: list[str] = [
    # The current shape, step 1 of the ladder for a new file; a change here also needs
    # a step in adapters/schema.py that brings older files to it.
    """
    CREATE TABLE IF NOT EXISTS profiles (
        profile_id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        department TEXT,
        body TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS matches (
        id TEXT PRIMARY KEY,
        mentee_id TEXT NOT NULL,
        mentor_id TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        message TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        ended_by TEXT,
        reminder_sent INTEGER NOT NULL DEFAULT 0,
        rating INTEGER,
        comment TEXT
    );
    CREATE INDEX IF NOT EXISTS matches_mentee ON matches (mentee_id, status);
    CREATE INDEX IF NOT EXISTS matches_mentor ON matches (mentor_id, status);
    CREATE INDEX IF NOT EXISTS matches_status ON matches (status);
    CREATE INDEX IF NOT EXISTS matches_live ON matches (mentor_id, status, created_at)
        WHERE status IN ('accepted', 'requested');
    CREATE TABLE IF NOT EXISTS mentor_replies (
        mentor_id TEXT PRIMARY KEY,
        recent_hours TEXT NOT NULL,
        median_reply_hours REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS mentor_replies_median ON mentor_replies (median_reply_hours);
    CREATE TABLE IF NOT EXISTS index_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        applied INTEGER NOT NULL DEFAULT 0
    );
    """,
    """
    CREATE TABLE IF NOT EXISTS shortlist (
        owner_id TEXT NOT NULL,
        profile_id TEXT NOT NULL,
        saved_at TEXT NOT NULL,
        PRIMARY KEY (owner_id, profile_id)
    );
    CREATE INDEX IF NOT EXISTS shortlist_saved ON shortlist (profile_id);
    CREATE TABLE IF NOT EXISTS person_activity (
        person_id TEXT PRIMARY KEY,
        month TEXT NOT NULL
    );
    """,
]

MATCH_COLUMNS = ", ".join(MATCH_FIELDS)
"""The columns of ``matches``, in :data:`MATCH_FIELDS` order."""

_MATCH_PLACES = ",".join("?" * len(MATCH_FIELDS))
_ACTIVE = ",".join(f"'{status}'" for status in sorted(ACTIVE_STATUSES))


def match_row(match: Match) -> tuple[Any, ...]:
    """The values of a match's row, in :data:`MATCH_COLUMNS` order."""
    return tuple(match_record(match, TEXT).values())


def match_from_row(row: Any) -> Match:
    """A match from a row of :data:`MATCH_COLUMNS`."""
    return match_from(row, TEXT)


def reply_times_from_row(mentor_id: str, recent_hours: str) -> ReplyTimes:
    """A mentor's reply times from the JSON list of ``mentor_replies``."""
    return reply_times_from(mentor_id, json.loads(recent_hours))


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self.conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SqliteProfileRepository(_Repo):
    """Latest profile versions on SQLite."""

    async def get(self, profile_id: str) -> ProfileUpserted | None:
        """The stored profile, or None."""
        rows = await self._all("SELECT body FROM profiles WHERE profile_id = ?", (profile_id,))
        return ProfileUpserted.model_validate_json(rows[0]["body"]) if rows else None

    async def save(self, profile: ProfileUpserted) -> bool:
        """Store if newer than the stored version."""
        cursor = await self.conn.execute(
            "INSERT INTO profiles (profile_id, version, department, body) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (profile_id) DO UPDATE SET version = excluded.version, "
            "department = excluded.department, body = excluded.body "
            "WHERE excluded.version > profiles.version",
            (profile.profile_id, profile.version, profile.department, profile.model_dump_json()),
        )
        return cursor.rowcount == 1

    async def delete(self, profile_id: str) -> bool:
        """Forget the profile."""
        cursor = await self.conn.execute("DELETE FROM profiles WHERE profile_id = ?", (profile_id,))
        return cursor.rowcount == 1


class SqliteMatchRepository(_Repo):
    """Matches on SQLite."""

    async def _find(self, where: str, params: Sequence[Any]) -> list[Match]:
        rows = await self._all(f"SELECT {MATCH_COLUMNS} FROM matches WHERE {where}", params)  # noqa: S608 - constant columns and conditions
        return [match_from_row(row) for row in rows]

    async def get(self, match_id: str) -> Match | None:
        """The match, or None."""
        found = await self._find("id = ?", (match_id,))
        return found[0] if found else None

    async def add(self, match: Match) -> None:
        """Insert a match."""
        await self.conn.execute(
            f"INSERT INTO matches ({MATCH_COLUMNS}) VALUES ({_MATCH_PLACES})",  # noqa: S608 - constant column list
            match_row(match),
        )

    async def update(self, match: Match) -> None:
        """Replace a match's row."""
        await self.conn.execute(
            f"REPLACE INTO matches ({MATCH_COLUMNS}) VALUES ({_MATCH_PLACES})",  # noqa: S608 - constant column list
            match_row(match),
        )

    async def open_for_mentee(self, mentee_id: str) -> list[Match]:
        """The mentee's waiting requests."""
        return await self._find(
            "mentee_id = ? AND status = 'requested' ORDER BY created_at", (mentee_id,)
        )

    async def open_for_mentor(self, mentor_id: str) -> list[Match]:
        """Requests waiting for the mentor's answer."""
        return await self._find(
            "mentor_id = ? AND status = 'requested' ORDER BY created_at", (mentor_id,)
        )

    async def live_between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Requested or accepted matches of the pair."""
        return await self._find(
            "mentee_id = ? AND mentor_id = ? AND status IN ('requested', 'accepted')",
            (mentee_id, mentor_id),
        )

    async def between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Every match of the pair."""
        return await self._find("mentee_id = ? AND mentor_id = ?", (mentee_id, mentor_id))

    async def active_count(self, mentor_id: str) -> int:
        """Matches holding one of the mentor's places (the capacity rule's count)."""
        rows = await self._all(
            f"SELECT count(*) AS n FROM matches WHERE mentor_id = ? AND status IN ({_ACTIVE})",  # noqa: S608 - constant statuses
            (mentor_id,),
        )
        return int(rows[0]["n"])

    async def involving(self, person_id: str) -> list[Match]:
        """Every match of the person."""
        return await self._find("mentee_id = ? OR mentor_id = ?", (person_id, person_id))

    async def open_requests(self) -> list[Match]:
        """Every waiting request."""
        return await self._find("status = 'requested'", ())

    async def delete_involving(self, person_id: str) -> int:
        """Delete the person's matches and their retained outbox events (keyed by match id)."""
        rows = await self._all(
            "SELECT id FROM matches WHERE mentee_id = ? OR mentor_id = ?", (person_id, person_id)
        )
        ids = [row["id"] for row in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            await self.conn.execute(f"DELETE FROM outbox WHERE key IN ({marks})", chunk)  # noqa: S608 - only placeholders
            await self.conn.execute(f"DELETE FROM matches WHERE id IN ({marks})", chunk)  # noqa: S608 - only placeholders
        return len(ids)


class SqliteErasedSubjectsRepository(_Repo):
    """``erased_subjects`` on the transaction's connection."""

    async def add(self, subject_id: str) -> None:
        """Record the erasure."""
        await mark_erased_sqlite(self.conn, subject_id)

    async def contains(self, subject_id: str) -> bool:
        """True when the person was erased."""
        return bool(await is_erased_sqlite(self.conn, subject_id))

    async def drop_counters(self, subject_id: str) -> None:
        """Delete the rate-limit counters keyed by the id (stored as its digest)."""
        await self.conn.execute("DELETE FROM rate_limits WHERE key = ?", (key_digest(subject_id),))


class SqliteReplyTimesRepository(_Repo):
    """Mentors' recent reply times on SQLite (``mentor_replies``).

    The median is stored beside the list so that suggestions read one indexed
    number per slow mentor instead of decoding every list.
    """

    async def get(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's reply times, or None."""
        rows = await self._all(
            "SELECT recent_hours FROM mentor_replies WHERE mentor_id = ?", (mentor_id,)
        )
        return reply_times_from_row(mentor_id, rows[0]["recent_hours"]) if rows else None

    async def save(self, replies: ReplyTimes) -> None:
        """Store the reply times and their median."""
        median = replies.median_hours
        if median is None:
            await self.delete(replies.mentor_id)
            return
        await self.conn.execute(
            "INSERT INTO mentor_replies (mentor_id, recent_hours, median_reply_hours) "
            "VALUES (?, ?, ?) ON CONFLICT (mentor_id) DO UPDATE SET "
            "recent_hours = excluded.recent_hours, "
            "median_reply_hours = excluded.median_reply_hours",
            (replies.mentor_id, json.dumps(list(replies.recent_hours)), median),
        )

    async def delete(self, mentor_id: str) -> bool:
        """Forget the mentor's reply times."""
        cursor = await self.conn.execute(
            "DELETE FROM mentor_replies WHERE mentor_id = ?", (mentor_id,)
        )
        return cursor.rowcount == 1


class SqliteShortlistRepository(_Repo):
    """Saved people on SQLite (``shortlist``)."""

    async def get(self, owner_id: str, profile_id: str) -> SavedPerson | None:
        """The entry, or None."""
        rows = await self._all(
            "SELECT owner_id, profile_id, saved_at FROM shortlist "
            "WHERE owner_id = ? AND profile_id = ?",
            (owner_id, profile_id),
        )
        return saved_from(rows[0], TEXT) if rows else None

    async def add(self, saved: SavedPerson) -> None:
        """Insert an entry."""
        await self.conn.execute(
            "INSERT INTO shortlist (owner_id, profile_id, saved_at) VALUES (?, ?, ?)",
            (saved.owner_id, saved.profile_id, to_text(saved.saved_at)),
        )

    async def remove(self, owner_id: str, profile_id: str) -> bool:
        """Delete an entry."""
        cursor = await self.conn.execute(
            "DELETE FROM shortlist WHERE owner_id = ? AND profile_id = ?", (owner_id, profile_id)
        )
        return cursor.rowcount == 1

    async def count(self, owner_id: str) -> int:
        """How many people the owner saved."""
        rows = await self._all(
            "SELECT count(*) AS n FROM shortlist WHERE owner_id = ?", (owner_id,)
        )
        return int(rows[0]["n"])

    async def delete_involving(self, person_id: str) -> int:
        """Delete the person's list and every entry saving them."""
        cursor = await self.conn.execute(
            "DELETE FROM shortlist WHERE owner_id = ? OR profile_id = ?", (person_id, person_id)
        )
        return cursor.rowcount


class SqliteActivityRepository(_Repo):
    """The month each person was last active, on SQLite (``person_activity``)."""

    async def touch(self, person_id: str, month: str) -> None:
        """Record activity in the month (``YYYY-MM`` text order is time order)."""
        await self.conn.execute(
            "INSERT INTO person_activity (person_id, month) VALUES (?, ?) "
            "ON CONFLICT (person_id) DO UPDATE SET month = excluded.month "
            "WHERE excluded.month > person_activity.month",
            (person_id, month),
        )

    async def delete(self, person_id: str) -> bool:
        """Forget the person's activity."""
        cursor = await self.conn.execute(
            "DELETE FROM person_activity WHERE person_id = ?", (person_id,)
        )
        return cursor.rowcount == 1


class SqliteIndexStateRepository(_Repo):
    """The last applied profile event on SQLite."""

    async def record(self, event: AppliedEvent) -> None:
        """Remember the event as the last applied."""
        await self.conn.execute(
            "INSERT INTO index_state (id, event_id, event_type, occurred_at, applied) "
            "VALUES (1, ?, ?, ?, 1) ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, "
            "event_type = excluded.event_type, occurred_at = excluded.occurred_at, "
            "applied = index_state.applied + 1",
            (event.id, event.type, to_text(event.occurred_at)),
        )

    async def last(self) -> AppliedEvent | None:
        """The last applied event."""
        rows = await self._all("SELECT event_id, event_type, occurred_at FROM index_state")
        return applied_from(rows[0], TEXT) if rows else None


class SqliteMatchingUnitOfWork(SqliteUnitOfWork, MatchingUnitOfWork):
    """A write transaction with the matching repositories."""

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's connection."""
        self.profiles = SqliteProfileRepository(self.conn)
        self.matches = SqliteMatchRepository(self.conn)
        self.replies = SqliteReplyTimesRepository(self.conn)
        self.index_state = SqliteIndexStateRepository(self.conn)
        self.erased = SqliteErasedSubjectsRepository(self.conn)
        self.shortlist = SqliteShortlistRepository(self.conn)
        self.activity = SqliteActivityRepository(self.conn)
