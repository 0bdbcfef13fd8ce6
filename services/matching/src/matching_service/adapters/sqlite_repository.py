"""The matching service's tables on SQLite (the embedded default store)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from matching_service.domain.matches import PAIRED_STATUSES, Match
from matching_service.domain.model import OFFERING_ROLES, CandidateLoad, TargetRole
from matching_service.domain.replies import ReplyTimes, candidate_loads
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import (
    ActivityRepository,
    AppliedEvent,
    ErasedSubjectsRepository,
    FeedbackFigure,
    IndexStateRepository,
    MatchRepository,
    ProfileRepository,
    ReplyTimesRepository,
    ShortlistRepository,
    WeeklyFigure,
)
from mentor_shared.bus.sqlite_store import SqliteUnitOfWork
from mentor_shared.erasure import is_erased_sqlite, mark_erased_sqlite
from mentor_shared.events.schemas import ProfileUpserted
from mentor_shared.limits import key_digest
from mentor_shared.storage.sqlite import Connection, SqliteDatabase

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

_MATCH_COLUMNS = (
    "id, mentee_id, mentor_id, role, status, message, reason, created_at, answered_at, "
    "ended_at, ended_by, reminder_sent, rating, comment"
)


def _ts(value: datetime | None) -> str | None:
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _loads_from_rows(
    live: Sequence[Any], slow: Sequence[Any], now: datetime
) -> dict[str, CandidateLoad]:
    return candidate_loads(
        (
            (row["mentor_id"], row["active"], row["waiting"], _dt(row["oldest_waiting"]))
            for row in live
        ),
        {row["mentor_id"]: float(row["median_reply_hours"]) for row in slow},
        now,
    )


def _match_row(match: Match) -> tuple[Any, ...]:
    return (
        match.id,
        match.mentee_id,
        match.mentor_id,
        match.role,
        match.status,
        match.message,
        match.reason,
        _ts(match.created_at),
        _ts(match.answered_at),
        _ts(match.ended_at),
        match.ended_by,
        int(match.reminder_sent),
        match.rating,
        match.comment,
    )


def match_from_row(row: Any) -> Match:
    """A match from a row of :data:`_MATCH_COLUMNS`."""
    created = _dt(row["created_at"])
    assert created is not None
    return Match(
        id=row["id"],
        mentee_id=row["mentee_id"],
        mentor_id=row["mentor_id"],
        role=row["role"],
        status=row["status"],
        message=row["message"],
        created_at=created,
        reason=row["reason"],
        answered_at=_dt(row["answered_at"]),
        ended_at=_dt(row["ended_at"]),
        ended_by=row["ended_by"],
        reminder_sent=bool(row["reminder_sent"]),
        rating=row["rating"],
        comment=row["comment"],
    )


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

    async def get(self, match_id: str) -> Match | None:
        """The match, or None."""
        rows = await self._all(f"SELECT {_MATCH_COLUMNS} FROM matches WHERE id = ?", (match_id,))  # noqa: S608 - constant column list
        return match_from_row(rows[0]) if rows else None

    async def add(self, match: Match) -> None:
        """Insert a match."""
        await self.conn.execute(
            f"INSERT INTO matches ({_MATCH_COLUMNS}) VALUES ({','.join('?' * 14)})",  # noqa: S608 - constant column list
            _match_row(match),
        )

    async def update(self, match: Match) -> None:
        """Replace a match's row."""
        await self.conn.execute(
            f"REPLACE INTO matches ({_MATCH_COLUMNS}) VALUES ({','.join('?' * 14)})",  # noqa: S608 - constant column list
            _match_row(match),
        )

    async def open_for_mentee(self, mentee_id: str) -> list[Match]:
        """The mentee's waiting requests."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentee_id = ? AND status = 'requested' "  # noqa: S608 - constant column list
            "ORDER BY created_at",
            (mentee_id,),
        )
        return [match_from_row(row) for row in rows]

    async def open_for_mentor(self, mentor_id: str) -> list[Match]:
        """Requests waiting for the mentor's answer."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentor_id = ? AND status = 'requested' "  # noqa: S608 - constant column list
            "ORDER BY created_at",
            (mentor_id,),
        )
        return [match_from_row(row) for row in rows]

    async def live_between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Requested or accepted matches of the pair."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentee_id = ? AND mentor_id = ? "  # noqa: S608 - constant column list
            "AND status IN ('requested', 'accepted')",
            (mentee_id, mentor_id),
        )
        return [match_from_row(row) for row in rows]

    async def between(self, mentee_id: str, mentor_id: str) -> list[Match]:
        """Every match of the pair."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentee_id = ? AND mentor_id = ?",  # noqa: S608 - constant column list
            (mentee_id, mentor_id),
        )
        return [match_from_row(row) for row in rows]

    async def active_count(self, mentor_id: str) -> int:
        """Accepted matches of the mentor."""
        rows = await self._all(
            "SELECT count(*) AS n FROM matches WHERE mentor_id = ? AND status = 'accepted'",
            (mentor_id,),
        )
        return int(rows[0]["n"])

    async def involving(self, person_id: str) -> list[Match]:
        """Every match of the person."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentee_id = ? OR mentor_id = ?",  # noqa: S608 - constant column list
            (person_id, person_id),
        )
        return [match_from_row(row) for row in rows]

    async def open_requests(self) -> list[Match]:
        """Every waiting request."""
        rows = await self._all(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE status = 'requested'"  # noqa: S608 - constant column list
        )
        return [match_from_row(row) for row in rows]

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
        if not rows:
            return None
        return ReplyTimes(mentor_id, tuple(float(h) for h in json.loads(rows[0]["recent_hours"])))

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


def _saved(row: Any) -> SavedPerson:
    saved_at = _dt(row["saved_at"])
    assert saved_at is not None
    return SavedPerson(owner_id=row["owner_id"], profile_id=row["profile_id"], saved_at=saved_at)


class SqliteShortlistRepository(_Repo):
    """Saved people on SQLite (``shortlist``)."""

    async def get(self, owner_id: str, profile_id: str) -> SavedPerson | None:
        """The entry, or None."""
        rows = await self._all(
            "SELECT owner_id, profile_id, saved_at FROM shortlist "
            "WHERE owner_id = ? AND profile_id = ?",
            (owner_id, profile_id),
        )
        return _saved(rows[0]) if rows else None

    async def add(self, saved: SavedPerson) -> None:
        """Insert an entry."""
        await self.conn.execute(
            "INSERT INTO shortlist (owner_id, profile_id, saved_at) VALUES (?, ?, ?)",
            (saved.owner_id, saved.profile_id, _ts(saved.saved_at)),
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
            (event.id, event.type, _ts(event.occurred_at)),
        )

    async def last(self) -> AppliedEvent | None:
        """The last applied event."""
        rows = await self._all("SELECT event_id, event_type, occurred_at FROM index_state")
        return _applied(rows[0]) if rows else None


def _applied(row: Any) -> AppliedEvent:
    occurred = _dt(row["occurred_at"])
    assert occurred is not None
    return AppliedEvent(id=row["event_id"], type=row["event_type"], occurred_at=occurred)


class SqliteMatchingUnitOfWork(SqliteUnitOfWork):
    """A write transaction with the matching repositories."""

    profiles: ProfileRepository
    matches: MatchRepository
    replies: ReplyTimesRepository
    index_state: IndexStateRepository
    erased: ErasedSubjectsRepository
    shortlist: ShortlistRepository
    activity: ActivityRepository

    def open_repositories(self) -> None:
        """Build the repositories on the transaction's connection."""
        self.profiles = SqliteProfileRepository(self.conn)
        self.matches = SqliteMatchRepository(self.conn)
        self.replies = SqliteReplyTimesRepository(self.conn)
        self.index_state = SqliteIndexStateRepository(self.conn)
        self.erased = SqliteErasedSubjectsRepository(self.conn)
        self.shortlist = SqliteShortlistRepository(self.conn)
        self.activity = SqliteActivityRepository(self.conn)


LOADS_PAGE = 1_000
"""Mentors per page of :meth:`SqliteMatchingReadModel.mentor_loads` (about 3 ms each)."""


class SqliteMatchingReadModel:
    """Read-only queries on the reader connection."""

    def __init__(self, db: SqliteDatabase, *, loads_page: int = LOADS_PAGE) -> None:
        if loads_page < 1:
            raise ValueError("loads_page must be at least 1")
        self.db = db
        self.loads_page = loads_page

    async def all_profiles(self) -> list[ProfileUpserted]:
        """Every stored profile."""
        rows = await self.db.fetchall("SELECT body FROM profiles")
        return [ProfileUpserted.model_validate_json(row["body"]) for row in rows]

    async def profiles_by_id(self, profile_ids: Sequence[str]) -> dict[str, ProfileUpserted]:
        """Stored profiles of these ids."""
        found: dict[str, ProfileUpserted] = {}
        ids = list(dict.fromkeys(profile_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self.db.fetchall(
                f"SELECT body FROM profiles WHERE profile_id IN ({','.join('?' * len(chunk))})",  # noqa: S608 - only placeholders
                chunk,
            )
            for row in rows:
                profile = ProfileUpserted.model_validate_json(row["body"])
                found[profile.profile_id] = profile
        return found

    async def partners(
        self, person_id: str, role: TargetRole, *, refused_since: datetime | None = None
    ) -> frozenset[str]:
        """Whom the person has asked, or been asked by, in a way that excludes them."""
        column, other = (
            ("mentee_id", "mentor_id") if role in OFFERING_ROLES else ("mentor_id", "mentee_id")
        )
        statuses = ",".join(f"'{status}'" for status in sorted(PAIRED_STATUSES))
        paired = await self.db.fetchall(
            f"SELECT DISTINCT {other} AS other FROM matches "  # noqa: S608 - constant names
            f"WHERE {column} = ? AND status IN ({statuses})",
            (person_id,),
        )
        excluded = {row["other"] for row in paired}
        if refused_since is not None:
            # Timestamps are UTC ISO strings: text order is time order.
            recent = await self.db.fetchall(
                f"SELECT DISTINCT {other} AS other FROM matches "  # noqa: S608 - constant names
                f"WHERE {column} = ? AND status IN ('withdrawn', 'expired') "
                "AND coalesce(reason, '') != 'another_accepted' AND answered_at >= ?",
                (person_id, _ts(refused_since)),
            )
            excluded.update(row["other"] for row in recent)
        return frozenset(excluded)

    async def mentor_loads(
        self, *, now: datetime, reply_ok_hours: float = 0.0
    ) -> dict[str, CandidateLoad]:
        """Every mentor's live load and the slow mentors' reply medians.

        Read in pages of :data:`LOADS_PAGE` mentors: the reader connection answers one
        query at a time, and a suggestion's own reads (whom the asker asked, the cards)
        wait behind the page in progress, not behind the whole reading (17 ms for
        4,745 mentors with 5,000 live matches). Each page is its own read, so a match
        committed meanwhile may be counted or not, as with a reading a moment older or
        newer; each mentor's counts come from one page.
        """
        live: list[Any] = []
        after: str | None = None
        while True:
            # Timestamps are stored as UTC ISO strings, so min() of the text is the
            # oldest. The partial index holds only live matches, in mentor order, so it
            # is read alone and needs no sort (named, because without statistics the
            # planner picks matches_status; 3x faster at 6k live of 100k).
            page = await self.db.fetchall(
                "SELECT mentor_id, sum(status = 'accepted') AS active, "
                "sum(status = 'requested') AS waiting, "
                "min(CASE WHEN status = 'requested' THEN created_at END) AS oldest_waiting "
                "FROM matches INDEXED BY matches_live "
                "WHERE status IN ('accepted', 'requested') "
                + ("" if after is None else "AND mentor_id > ? ")
                + "GROUP BY mentor_id ORDER BY mentor_id LIMIT ?",
                (self.loads_page,) if after is None else (after, self.loads_page),
            )
            live.extend(page)
            if len(page) < self.loads_page:
                break
            after = page[-1]["mentor_id"]
        slow = await self.db.fetchall(
            "SELECT mentor_id, median_reply_hours FROM mentor_replies WHERE median_reply_hours > ?",
            (reply_ok_hours,),
        )
        # Thousands of rows: assembled off the event loop, which keeps answering.
        return await asyncio.to_thread(_loads_from_rows, live, slow, now)

    async def matches_of(self, person_id: str) -> list[Match]:
        """The person's matches, newest first."""
        rows = await self.db.fetchall(
            f"SELECT {_MATCH_COLUMNS} FROM matches WHERE mentee_id = ? OR mentor_id = ? "  # noqa: S608 - constant column list
            "ORDER BY created_at DESC",
            (person_id, person_id),
        )
        return [match_from_row(row) for row in rows]

    async def last_event(self) -> AppliedEvent | None:
        """The last applied profile event."""
        rows = await self.db.fetchall("SELECT event_id, event_type, occurred_at FROM index_state")
        return _applied(rows[0]) if rows else None

    async def reply_times_of(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's recent reply times, or None."""
        rows = await self.db.fetchall(
            "SELECT recent_hours FROM mentor_replies WHERE mentor_id = ?", (mentor_id,)
        )
        if not rows:
            return None
        return ReplyTimes(mentor_id, tuple(float(h) for h in json.loads(rows[0]["recent_hours"])))

    async def erased_among(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these people were erased."""
        return {
            subject_id
            for subject_id in dict.fromkeys(subject_ids)
            if await is_erased_sqlite(self.db, subject_id)
        }

    async def shortlist_of(self, owner_id: str) -> list[SavedPerson]:
        """The owner's saved people, most recently saved first."""
        rows = await self.db.fetchall(
            "SELECT owner_id, profile_id, saved_at FROM shortlist WHERE owner_id = ? "
            "ORDER BY saved_at DESC, profile_id",
            (owner_id,),
        )
        return [_saved(row) for row in rows]

    async def reply_times_among(self, mentor_ids: Sequence[str]) -> dict[str, ReplyTimes]:
        """Reply times of these mentors, for cards."""
        found: dict[str, ReplyTimes] = {}
        ids = list(dict.fromkeys(mentor_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT mentor_id, recent_hours FROM mentor_replies "  # noqa: S608 - only placeholders
                f"WHERE mentor_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            for row in rows:
                hours = tuple(float(h) for h in json.loads(row["recent_hours"]))
                found[row["mentor_id"]] = ReplyTimes(row["mentor_id"], hours)
        return found

    async def active_months(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The month each of these people was last active."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(person_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT person_id, month FROM person_activity "  # noqa: S608 - only placeholders
                f"WHERE person_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({row["person_id"]: row["month"] for row in rows})
        return found

    async def weekly(self) -> list[WeeklyFigure]:
        """Requests and acceptances per ISO week and mentee department."""
        rows = await self.db.fetchall(
            "SELECT m.created_at, m.status, m.answered_at, p.department FROM matches m "
            "LEFT JOIN profiles p ON p.profile_id = m.mentee_id"
        )
        counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
        for row in rows:
            created = _dt(row["created_at"])
            assert created is not None
            year, week, _ = created.isocalendar()
            key = (f"{year}-W{week:02d}", row["department"])
            counts[key][0] += 1
            # Accepted now, or accepted once and ended since.
            if row["status"] == "accepted" or (
                row["status"] == "ended" and row["answered_at"] is not None
            ):
                counts[key][1] += 1
        return [
            WeeklyFigure(week=week, department=department, requests=n[0], accepted=n[1])
            for (week, department), n in sorted(
                counts.items(), key=lambda item: (item[0][0], item[0][1] or "")
            )
        ]

    async def feedback(self) -> FeedbackFigure:
        """Feedback aggregates."""
        rows = await self.db.fetchall(
            "SELECT count(rating) AS n, avg(rating) AS mean FROM matches WHERE rating IS NOT NULL"
        )
        row = rows[0]
        return FeedbackFigure(
            count=int(row["n"]), mean_rating=None if row["mean"] is None else float(row["mean"])
        )

    async def request_facts(self) -> list[RequestFact]:
        """Every request with the mentee's department, profession and grade."""
        rows = await self.db.fetchall(
            "SELECT m.mentee_id, m.created_at, m.status, m.answered_at, p.department, "
            "json_extract(p.body, '$.profession') AS profession, "
            "json_extract(p.body, '$.grade') AS grade FROM matches m "
            "LEFT JOIN profiles p ON p.profile_id = m.mentee_id"
        )
        facts: list[RequestFact] = []
        for row in rows:
            created = _dt(row["created_at"])
            assert created is not None
            answered = _dt(row["answered_at"])
            facts.append(
                RequestFact(
                    mentee_id=row["mentee_id"],
                    created_at=created,
                    status=row["status"],
                    answered_at=answered,
                    was_accepted=row["status"] == "accepted"
                    or (row["status"] == "ended" and answered is not None),
                    department=row["department"],
                    profession=row["profession"],
                    grade=row["grade"],
                )
            )
        return facts
