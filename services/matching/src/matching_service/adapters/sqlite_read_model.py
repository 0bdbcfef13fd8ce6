"""Read-only queries of the matching service on SQLite (the reader connection)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from matching_service.adapters.records import (
    TEXT,
    applied_from,
    erased_among,
    request_fact,
    saved_from,
    weekly_figures,
)
from matching_service.adapters.sqlite_repository import (
    MATCH_COLUMNS,
    match_from_row,
    reply_times_from_row,
)
from matching_service.domain.matches import PAIRED_STATUSES, Match
from matching_service.domain.model import OFFERING_ROLES, CandidateLoad, TargetRole
from matching_service.domain.replies import ReplyTimes, candidate_loads
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import AppliedEvent, FeedbackFigure, WeeklyFigure
from mentor_shared.clock import from_text, to_text
from mentor_shared.erasure import SqliteErasedSubjects
from mentor_shared.events.schemas import ProfileUpserted
from mentor_shared.storage.sqlite import SqliteDatabase


def _loads_from_rows(
    live: Sequence[Any], slow: Sequence[Any], now: datetime
) -> dict[str, CandidateLoad]:
    return candidate_loads(
        (
            (row["mentor_id"], row["active"], row["waiting"], from_text(row["oldest_waiting"]))
            for row in live
        ),
        {row["mentor_id"]: float(row["median_reply_hours"]) for row in slow},
        now,
    )


CHUNK = 500
"""Ids per query of an ``IN (...)`` list."""

LOADS_PAGE = 1_000
"""Mentors per page of :meth:`SqliteMatchingReadModel.mentor_loads` (about 3 ms each)."""


class SqliteMatchingReadModel:
    """Read-only queries on the reader connection."""

    def __init__(self, db: SqliteDatabase, *, loads_page: int = LOADS_PAGE) -> None:
        if loads_page < 1:
            raise ValueError("loads_page must be at least 1")
        self.db = db
        self.erased = SqliteErasedSubjects(db)
        self.loads_page = loads_page

    async def _among(self, query: str, ids: Sequence[str]) -> list[Any]:
        """Rows of ``query`` (ending in the id column) for these ids, in chunks of
        :data:`CHUNK` (SQLite's limit on parameters)."""
        unique = list(dict.fromkeys(ids))
        rows: list[Any] = []
        for start in range(0, len(unique), CHUNK):
            chunk = unique[start : start + CHUNK]
            marks = ",".join("?" * len(chunk))
            rows.extend(await self.db.fetchall(f"{query} IN ({marks})", chunk))
        return rows

    async def all_profiles(self) -> list[ProfileUpserted]:
        """Every stored profile."""
        rows = await self.db.fetchall("SELECT body FROM profiles")
        return [ProfileUpserted.model_validate_json(row["body"]) for row in rows]

    async def profiles_by_id(self, profile_ids: Sequence[str]) -> dict[str, ProfileUpserted]:
        """Stored profiles of these ids."""
        rows = await self._among("SELECT body FROM profiles WHERE profile_id", profile_ids)
        profiles = (ProfileUpserted.model_validate_json(row["body"]) for row in rows)
        return {profile.profile_id: profile for profile in profiles}

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
                (person_id, to_text(refused_since)),
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
            f"SELECT {MATCH_COLUMNS} FROM matches WHERE mentee_id = ? OR mentor_id = ? "  # noqa: S608 - constant column list
            "ORDER BY created_at DESC",
            (person_id, person_id),
        )
        return [match_from_row(row) for row in rows]

    async def last_event(self) -> AppliedEvent | None:
        """The last applied profile event."""
        rows = await self.db.fetchall("SELECT event_id, event_type, occurred_at FROM index_state")
        return applied_from(rows[0], TEXT) if rows else None

    async def reply_times_of(self, mentor_id: str) -> ReplyTimes | None:
        """The mentor's recent reply times, or None."""
        rows = await self.db.fetchall(
            "SELECT recent_hours FROM mentor_replies WHERE mentor_id = ?", (mentor_id,)
        )
        return reply_times_from_row(mentor_id, rows[0]["recent_hours"]) if rows else None

    async def erased_among(self, subject_ids: Sequence[str]) -> set[str]:
        """Which of these people were erased."""
        return await erased_among(self.erased, subject_ids)

    async def shortlist_of(self, owner_id: str) -> list[SavedPerson]:
        """The owner's saved people, most recently saved first."""
        rows = await self.db.fetchall(
            "SELECT owner_id, profile_id, saved_at FROM shortlist WHERE owner_id = ? "
            "ORDER BY saved_at DESC, profile_id",
            (owner_id,),
        )
        return [saved_from(row, TEXT) for row in rows]

    async def reply_times_among(self, mentor_ids: Sequence[str]) -> dict[str, ReplyTimes]:
        """Reply times of these mentors, for cards."""
        rows = await self._among(
            "SELECT mentor_id, recent_hours FROM mentor_replies WHERE mentor_id", mentor_ids
        )
        return {
            row["mentor_id"]: reply_times_from_row(row["mentor_id"], row["recent_hours"])
            for row in rows
        }

    async def active_months(self, person_ids: Sequence[str]) -> dict[str, str]:
        """The month each of these people was last active."""
        rows = await self._among(
            "SELECT person_id, month FROM person_activity WHERE person_id", person_ids
        )
        return {row["person_id"]: row["month"] for row in rows}

    async def weekly(self) -> list[WeeklyFigure]:
        """Requests and acceptances per ISO week and mentee department."""
        rows = await self.db.fetchall(
            "SELECT m.created_at, m.status, m.answered_at, p.department FROM matches m "
            "LEFT JOIN profiles p ON p.profile_id = m.mentee_id"
        )
        return weekly_figures(
            (from_text(row["created_at"]), row["status"], row["answered_at"], row["department"])
            for row in rows
        )

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
        return [request_fact(row, TEXT, row) for row in rows]
