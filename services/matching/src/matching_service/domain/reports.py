"""Administrators' match report: aggregates by month, department, profession and grade
band, with small numbers suppressed.

Disclosure rule. A row is one month x department x profession x grade band (all of the
mentee's, as matching holds their profile now). Each count cell under
:data:`SMALL_CELL` (1 to 4) is shown as ``"<5"``; a row whose requests come from fewer
than :data:`SMALL_CELL` different mentees shows ``"<5"`` in every count and no median,
so that a row can never describe one person. The report holds only these finest rows,
with no totals or subtotals, so no suppressed cell can be worked out by subtracting the
others in the same file. The median time to answer is shown only when at least
:data:`SMALL_CELL` requests of the row were answered.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from statistics import median

SMALL_CELL = 5
"""Counts below this (and above zero) are suppressed."""

SUPPRESSED = "<5"

GRADE_BANDS: dict[str, str] = {
    "AA": "AA-AO",
    "AO": "AA-AO",
    "EO": "EO-SEO",
    "HEO": "EO-SEO",
    "SEO": "EO-SEO",
    "G7": "G7-G6",
    "G6": "G7-G6",
    "SCS1": "SCS",
    "SCS2": "SCS",
    "SCS3": "SCS",
    "SCS4": "SCS",
}
"""Grades grouped so that few people share a cell less often."""

COLUMNS = (
    "month",
    "department",
    "profession",
    "grade_band",
    "requests",
    "accepted",
    "declined",
    "expired",
    "ended",
    "median_hours_to_answer",
)


@dataclass(frozen=True, slots=True)
class RequestFact:
    """One match request as the report counts it (no names, no messages).

    Attributes:
        mentee_id: Who asked (only counted, never shown).
        created_at: When they asked (the row's month).
        status: Where the request stands now.
        answered_at: When the mentor accepted or declined (or it expired), if so.
        was_accepted: True when the mentor accepted (still running or ended since).
        department: The mentee's department code, when known.
        profession: The mentee's profession code, when known.
        grade: The mentee's grade code, when known.
    """

    mentee_id: str
    created_at: datetime
    status: str
    answered_at: datetime | None
    was_accepted: bool
    department: str | None
    profession: str | None
    grade: str | None


def grade_band(grade: str | None) -> str:
    """The band of a grade code ("" when unknown or unset)."""
    if grade is None:
        return ""
    return GRADE_BANDS.get(grade.strip().upper(), "")


def _shown(count: int, small_row: bool) -> str:
    if small_row or 0 < count < SMALL_CELL:
        return SUPPRESSED
    return str(count)


def report_rows(facts: Iterable[RequestFact]) -> list[list[str]]:
    """The report's rows (without the header :data:`COLUMNS`), sorted by their key.

    Args:
        facts: Every match request.
    """
    groups: dict[tuple[str, str, str, str], list[RequestFact]] = defaultdict(list)
    for fact in facts:
        key = (
            fact.created_at.strftime("%Y-%m"),
            fact.department or "",
            fact.profession or "",
            grade_band(fact.grade),
        )
        groups[key].append(fact)
    rows: list[list[str]] = []
    for key in sorted(groups):
        group = groups[key]
        small = len({fact.mentee_id for fact in group}) < SMALL_CELL
        hours = [
            (fact.answered_at - fact.created_at).total_seconds() / 3600
            for fact in group
            if fact.answered_at is not None and fact.status in ("accepted", "declined", "ended")
        ]
        counts = (
            len(group),
            sum(fact.was_accepted for fact in group),
            sum(fact.status == "declined" for fact in group),
            sum(fact.status == "expired" for fact in group),
            sum(fact.status == "ended" for fact in group),
        )
        answer = "" if small or len(hours) < SMALL_CELL else f"{median(hours):.1f}"
        rows.append([*key, *(_shown(count, small) for count in counts), answer])
    return rows
