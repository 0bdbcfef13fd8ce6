"""The one mapper between the matching domain and what the stores keep.

SQLite rows and MongoDB documents hold the same fields under the same names; they
differ in how a moment is kept (:class:`Moments`: ISO text on SQLite, a native
``datetime`` on MongoDB) and in the key of a match (``id`` or ``_id``). Both
adapters convert through these functions, so a field added to a match, an entry
or a report is mapped once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from matching_service.domain.matches import Match
from matching_service.domain.replies import ReplyTimes
from matching_service.domain.reports import RequestFact
from matching_service.domain.shortlist import SavedPerson
from matching_service.service.ports import (
    AppliedEvent,
    WeeklyFigure,
)
from mentor_shared.clock import as_utc, from_text, to_text
from mentor_shared.erasure import ErasedSubjects

Record = Any
"""A row (``sqlite3.Row``) or a document (``dict``): read by field name."""


@dataclass(frozen=True, slots=True)
class Moments:
    """How a store keeps a moment."""

    write: Callable[[datetime | None], Any]
    read: Callable[[Any], datetime | None]

    def required(self, value: Any) -> datetime:
        """A moment the store always holds (a NOT NULL column, a required field)."""
        moment = self.read(value)
        assert moment is not None
        return moment


def _native(moment: datetime | None) -> datetime | None:
    return moment


TEXT = Moments(write=to_text, read=from_text)
"""SQLite: UTC ISO text, whose text order is time order."""

NATIVE = Moments(write=_native, read=as_utc)
"""MongoDB: a ``datetime``, which PyMongo hands back naive (read as UTC)."""

MATCH_FIELDS: tuple[str, ...] = (
    "id",
    "mentee_id",
    "mentor_id",
    "role",
    "status",
    "message",
    "reason",
    "created_at",
    "answered_at",
    "ended_at",
    "ended_by",
    "reminder_sent",
    "rating",
    "comment",
)
"""A match's stored fields, in the order of SQLite's columns."""

_MATCH_MOMENTS = frozenset({"created_at", "answered_at", "ended_at"})


def match_record(match: Match, moments: Moments) -> dict[str, Any]:
    """A match's stored fields (:data:`MATCH_FIELDS`, in that order)."""
    return {
        name: moments.write(getattr(match, name))
        if name in _MATCH_MOMENTS
        else getattr(match, name)
        for name in MATCH_FIELDS
    }


def match_from(record: Record, moments: Moments, *, key: str = "id") -> Match:
    """The match a record holds (``key``: the field holding its id)."""
    return Match(
        id=record[key],
        mentee_id=record["mentee_id"],
        mentor_id=record["mentor_id"],
        role=record["role"],
        status=record["status"],
        message=record["message"],
        created_at=moments.required(record["created_at"]),
        reason=record["reason"],
        answered_at=moments.read(record["answered_at"]),
        ended_at=moments.read(record["ended_at"]),
        ended_by=record["ended_by"],
        reminder_sent=bool(record["reminder_sent"]),
        rating=record["rating"],
        comment=record["comment"],
    )


def saved_from(record: Record, moments: Moments) -> SavedPerson:
    """The shortlist entry a record holds."""
    return SavedPerson(
        owner_id=record["owner_id"],
        profile_id=record["profile_id"],
        saved_at=moments.required(record["saved_at"]),
    )


def applied_from(record: Record, moments: Moments) -> AppliedEvent:
    """The last applied event a record of ``index_state`` holds."""
    return AppliedEvent(
        id=record["event_id"],
        type=record["event_type"],
        occurred_at=moments.required(record["occurred_at"]),
    )


def reply_times_from(mentor_id: str, hours: Iterable[Any]) -> ReplyTimes:
    """A mentor's reply times from the stored list of hours."""
    return ReplyTimes(mentor_id, tuple(float(h) for h in hours))


def was_accepted(status: str, answered_at: object) -> bool:
    """Accepted now, or accepted once and ended since (an ended match was answered)."""
    return status == "accepted" or (status == "ended" and answered_at is not None)


def request_fact(record: Record, moments: Moments, mentee: Record) -> RequestFact:
    """One request as the report counts it, with its mentee's profile fields.

    Args:
        record: The match's ``mentee_id``, ``created_at``, ``status``, ``answered_at``.
        moments: How the store keeps moments.
        mentee: The mentee's ``department``, ``profession``, ``grade`` (a mapping
            or a row), or None when the profile is gone.
    """
    answered = moments.read(record["answered_at"])
    return RequestFact(
        mentee_id=record["mentee_id"],
        created_at=moments.required(record["created_at"]),
        status=record["status"],
        answered_at=answered,
        was_accepted=was_accepted(record["status"], answered),
        department=None if mentee is None else mentee["department"],
        profession=None if mentee is None else mentee["profession"],
        grade=None if mentee is None else mentee["grade"],
    )


def weekly_figures(
    requests: Iterable[tuple[datetime, str, object, str | None]],
) -> list[WeeklyFigure]:
    """Requests and acceptances per ISO week and mentee department.

    Args:
        requests: Each request's creation moment, status, answer (or None) and the
            mentee's department.
    """
    counts: dict[tuple[str, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for created, status, answered, department in requests:
        year, week, _ = created.isocalendar()
        key = (f"{year}-W{week:02d}", department)
        counts[key][0] += 1
        if was_accepted(status, answered):
            counts[key][1] += 1
    return [
        WeeklyFigure(week=week, department=department, requests=n[0], accepted=n[1])
        for (week, department), n in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]


async def erased_among(erased: ErasedSubjects, subject_ids: Sequence[str]) -> set[str]:
    """Which of these people were erased: one read per distinct id (both read models)."""
    return {
        subject_id for subject_id in dict.fromkeys(subject_ids) if await erased.contains(subject_id)
    }
