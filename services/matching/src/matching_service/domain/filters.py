"""Hard filters: who may be suggested to whom at all.

Each rule is a pure function of the asker, one candidate, the query and the pair's
history. :func:`allowed_candidate_ids` applies them all and returns the ids that pass;
the service hands that set to the vector search as an id selector, so the search
only ever scores eligible people (never over-fetch and drop).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from matching_service.domain.availability import (
    NOT_PAUSED,
    MentorAvailability,
    pause_ordinal,
    takes_requests,
)
from matching_service.domain.model import (
    OFFERING_ROLES,
    PairHistory,
    PersonProfile,
    SuggestionQuery,
    grade_rank,
)


class Rule(StrEnum):
    """Names of the hard filters, in the order they are checked."""

    ROLE = "role"
    SELF = "self"
    ALREADY_PAIRED = "already_paired"
    CAPACITY = "capacity"
    DEPARTMENT = "department"
    GRADE = "grade"
    REGION = "region"


def has_role(candidate: PersonProfile, query: SuggestionQuery) -> bool:
    """The candidate plays the role asked for."""
    return query.role in candidate.roles


def is_not_self(candidate: PersonProfile, asker: PersonProfile) -> bool:
    """Nobody is suggested to themselves."""
    return candidate.profile_id != asker.profile_id


def not_already_paired(candidate: PersonProfile, history: PairHistory) -> bool:
    """The asker has not already requested this candidate, nor been declined by them."""
    return candidate.profile_id not in history.excluded_ids


def has_capacity(candidate: PersonProfile, query: SuggestionQuery, history: PairHistory) -> bool:
    """A mentor or coach can take a request (:mod:`matching_service.domain.availability`).

    Mentees have no capacity limit here (the three-open-requests rule is checked
    when a request is made).
    """
    if query.role not in OFFERING_ROLES:
        return True
    load = history.load_of(candidate.profile_id)
    return MentorAvailability.of(candidate, load.active_matches).can_take(query.on_date())


def fits_department(candidate: PersonProfile, asker: PersonProfile, query: SuggestionQuery) -> bool:
    """The department filter and the optional exclusion of the asker's own department."""
    if query.department is not None and candidate.department != query.department:
        return False
    if query.exclude_own_department and asker.department is not None:
        return candidate.department != asker.department
    return True


def fits_grade(candidate: PersonProfile, asker: PersonProfile, query: SuggestionQuery) -> bool:
    """Grade rules.

    ``min_grade``: the candidate's grade is known and at or above it. The seniority
    rule (unless the asker opted out): a mentor or coach is at or above the mentee's
    grade; a mentee is at or below the mentor's. An unknown grade on either side
    does not exclude anyone from the seniority rule, since many profiles leave it blank.
    """
    candidate_rank = grade_rank(candidate.grade)
    if query.min_grade is not None:
        minimum = grade_rank(query.min_grade)
        if minimum is not None and (candidate_rank is None or candidate_rank < minimum):
            return False
    if query.allow_any_grade:
        return True
    asker_rank = grade_rank(asker.grade)
    if candidate_rank is None or asker_rank is None:
        return True
    if query.role in OFFERING_ROLES:
        return candidate_rank >= asker_rank
    return candidate_rank <= asker_rank


def fits_region(candidate: PersonProfile, query: SuggestionQuery) -> bool:
    """Based in the region asked for, willing to travel there, or remote when accepted.

    An anonymous person never passes a region filter (the anonymity rule: their region
    is not shown, so it must not be found out by filtering either).
    """
    if query.region is None:
        return True
    if candidate.anonymous:
        return False
    if candidate.region == query.region or query.region in candidate.travel_regions:
        return True
    return query.accept_remote and candidate.remote_ok


def failed_rule(
    candidate: PersonProfile,
    asker: PersonProfile,
    query: SuggestionQuery,
    history: PairHistory,
) -> Rule | None:
    """The first hard filter the candidate fails, or None when they pass them all."""
    checks: tuple[tuple[Rule, Callable[[], bool]], ...] = (
        (Rule.ROLE, lambda: has_role(candidate, query)),
        (Rule.SELF, lambda: is_not_self(candidate, asker)),
        (Rule.ALREADY_PAIRED, lambda: not_already_paired(candidate, history)),
        (Rule.CAPACITY, lambda: has_capacity(candidate, query, history)),
        (Rule.DEPARTMENT, lambda: fits_department(candidate, asker, query)),
        (Rule.GRADE, lambda: fits_grade(candidate, asker, query)),
        (Rule.REGION, lambda: fits_region(candidate, query)),
    )
    for rule, passes in checks:
        if not passes():
            return rule
    return None


def allowed_candidate_ids(
    candidates: Iterable[PersonProfile],
    asker: PersonProfile,
    query: SuggestionQuery,
    history: PairHistory,
) -> set[str]:
    """Ids of the candidates that pass every hard filter.

    Args:
        candidates: Everyone who could be suggested (usually everyone indexed).
        asker: The person asking for suggestions.
        query: What they asked for.
        history: Their requests and declines, and every candidate's load.

    Returns:
        The ids to hand to the vector search as its id selector.
    """
    return {
        candidate.profile_id
        for candidate in candidates
        if failed_rule(candidate, asker, query, history) is None
    }


class CandidateTable:
    """The filterable fields of every profile as numpy columns.

    :func:`allowed_candidate_ids` checks one candidate at a time in Python (about 3 ms
    per thousand); this table applies the same rules to all rows at once (well under
    a millisecond for 100k). Rows are reused after removal. The rules must stay
    identical to the per-candidate functions above; a test compares both on random
    profiles.
    """

    def __init__(self, capacity: int = 1024) -> None:
        """Create an empty table with room for ``capacity`` rows (it grows as needed)."""
        self._rows: dict[str, int] = {}
        self._ids: list[str | None] = [None] * capacity
        self._free: list[int] = []
        self._codes: dict[str, int] = {}
        self._size = 0
        self.alive = np.zeros(capacity, dtype=bool)
        self.mentor = np.zeros(capacity, dtype=bool)
        self.coach = np.zeros(capacity, dtype=bool)
        self.mentee = np.zeros(capacity, dtype=bool)
        self.accepting = np.zeros(capacity, dtype=bool)
        self.remote_ok = np.zeros(capacity, dtype=bool)
        self.anonymous = np.zeros(capacity, dtype=bool)
        self.capacity = np.zeros(capacity, dtype=np.int32)
        # The date a pause ends, as :func:`pause_ordinal` writes it.
        self.paused_until = np.full(capacity, NOT_PAUSED, dtype=np.int32)
        self.department = np.full(capacity, -1, dtype=np.int32)
        self.grade = np.full(capacity, -1, dtype=np.int16)
        self.region = np.full(capacity, -1, dtype=np.int32)
        self._travel: dict[int, npt.NDArray[np.bool_]] = {}
        # Which profile is in which row changes only when one arrives or leaves; the
        # active-matches column of one loads reading holds until then.
        self._layout = 0
        self._active_cache: tuple[object, int, npt.NDArray[np.int32]] | None = None

    def _grow(self) -> None:
        capacity = 2 * self.alive.size

        def grown(old: npt.NDArray[Any], fill: int | bool) -> npt.NDArray[Any]:
            new = np.full(capacity, fill, dtype=old.dtype)
            new[: old.size] = old
            return new

        self.alive = grown(self.alive, False)
        self.mentor = grown(self.mentor, False)
        self.coach = grown(self.coach, False)
        self.mentee = grown(self.mentee, False)
        self.accepting = grown(self.accepting, False)
        self.remote_ok = grown(self.remote_ok, False)
        self.anonymous = grown(self.anonymous, False)
        self.capacity = grown(self.capacity, 0)
        self.paused_until = grown(self.paused_until, NOT_PAUSED)
        self.department = grown(self.department, -1)
        self.grade = grown(self.grade, -1)
        self.region = grown(self.region, -1)
        self._travel = {code: grown(mask, False) for code, mask in self._travel.items()}
        self._ids.extend([None] * (capacity - len(self._ids)))

    def _code(self, value: str | None) -> int:
        if value is None:
            return -1
        return self._codes.setdefault(value, len(self._codes))

    def __len__(self) -> int:
        return len(self._rows)

    def row_of(self, profile_id: str) -> int | None:
        """The row holding a profile, or None."""
        return self._rows.get(profile_id)

    def upsert(self, profile: PersonProfile) -> int:
        """Store (or refresh) a profile's filterable fields; returns its row."""
        row = self._rows.get(profile.profile_id)
        if row is None:
            if self._free:
                row = self._free.pop()
            else:
                if self._size == self.alive.size:
                    self._grow()
                row = self._size
                self._size += 1
            self._rows[profile.profile_id] = row
            self._ids[row] = profile.profile_id
            self._layout += 1
        self.alive[row] = True
        self.mentor[row] = "mentor" in profile.roles
        self.coach[row] = "coach" in profile.roles
        self.mentee[row] = "mentee" in profile.roles
        self.accepting[row] = profile.accepting_requests
        self.remote_ok[row] = profile.remote_ok
        self.anonymous[row] = profile.anonymous
        self.capacity[row] = profile.capacity
        self.paused_until[row] = pause_ordinal(profile.paused_until)
        self.department[row] = self._code(profile.department)
        rank = grade_rank(profile.grade)
        self.grade[row] = -1 if rank is None else rank
        self.region[row] = self._code(profile.region)
        for mask in self._travel.values():
            mask[row] = False
        for region in profile.travel_regions:
            code = self._code(region)
            if code not in self._travel:
                self._travel[code] = np.zeros(self.alive.size, dtype=bool)
            self._travel[code][row] = True
        return row

    def remove(self, profile_id: str) -> None:
        """Drop a profile (its row is reused later)."""
        row = self._rows.pop(profile_id, None)
        if row is None:
            return
        self.alive[row] = False
        self._ids[row] = None
        self._layout += 1
        for mask in self._travel.values():
            mask[row] = False
        self._free.append(row)

    def _active(self, history: PairHistory) -> npt.NDArray[np.int32]:
        """Active matches per row, kept while the same loads reading is in use.

        Suggestions share one reading of the loads (thousands of mentors) for a while
        (:class:`matching_service.service.loads.MentorLoads`), and a reading is never
        changed in place, so the column is built once per reading and row layout.
        """
        cached = self._active_cache
        if cached is not None and cached[0] is history.loads and cached[1] == self._layout:
            return cached[2]
        layout = self._layout
        active = np.zeros(self._size, dtype=np.int32)
        rows: list[int] = []
        counts: list[int] = []
        for profile_id, load in history.loads.items():
            row = self._rows.get(profile_id) if load.active_matches else None
            if row is not None:
                rows.append(row)
                counts.append(load.active_matches)
        active[rows] = counts
        self._active_cache = (history.loads, layout, active)
        return active

    def allowed_mask(
        self, asker: PersonProfile, query: SuggestionQuery, history: PairHistory
    ) -> npt.NDArray[np.bool_]:
        """Rows passing every hard filter (same rules as :func:`failed_rule`)."""
        size = self._size
        role_column = {"mentor": self.mentor, "coach": self.coach, "mentee": self.mentee}
        allowed: npt.NDArray[np.bool_] = self.alive[:size] & role_column[query.role][:size]
        for profile_id in (asker.profile_id, *history.excluded_ids):
            row = self._rows.get(profile_id)
            if row is not None:
                allowed[row] = False
        if query.role in OFFERING_ROLES:
            allowed &= takes_requests(
                self.accepting[:size],
                self.capacity[:size],
                self._active(history),
                self.paused_until[:size],
                query.on_date().toordinal(),
            )
        department = self.department[:size]
        if query.department is not None:
            allowed &= department == self._codes.get(query.department, -2)
        if query.exclude_own_department and asker.department is not None:
            allowed &= department != self._codes.get(asker.department, -2)
        grade = self.grade[:size]
        if query.min_grade is not None:
            minimum = grade_rank(query.min_grade)
            if minimum is not None:
                allowed &= grade >= minimum
        asker_rank = grade_rank(asker.grade)
        if not query.allow_any_grade and asker_rank is not None:
            if query.role in OFFERING_ROLES:
                allowed &= (grade < 0) | (grade >= asker_rank)
            else:
                allowed &= (grade < 0) | (grade <= asker_rank)
        if query.region is not None:
            code = self._codes.get(query.region, -2)
            reach = self.region[:size] == code
            travel = self._travel.get(code)
            if travel is not None:
                reach |= travel[:size]
            if query.accept_remote:
                reach |= self.remote_ok[:size]
            allowed &= reach & ~self.anonymous[:size]
        return allowed

    def ids(self, rows: npt.NDArray[np.bool_] | npt.NDArray[np.int64]) -> list[str]:
        """Profile ids of rows (a boolean mask or row numbers)."""
        numbers = np.flatnonzero(rows) if rows.dtype == np.bool_ else rows
        return [pid for pid in (self._ids[int(row)] for row in numbers) if pid is not None]

    def allowed_ids(
        self, asker: PersonProfile, query: SuggestionQuery, history: PairHistory
    ) -> set[str]:
        """Ids passing every hard filter (the vectorised :func:`allowed_candidate_ids`)."""
        return set(self.ids(self.allowed_mask(asker, query, history)))
