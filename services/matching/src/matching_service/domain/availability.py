"""The capacity rule: whether a mentor or coach can take one more mentee.

A mentor or coach can take a new request while all three hold:

- they accept requests (``accepting_requests``);
- no pause runs: a pause lasts up to, not including, ``paused_until`` and ends by
  itself (:func:`is_paused`);
- a place is free: fewer active matches than ``capacity``. A match counts against
  capacity while its status is in :data:`ACTIVE_STATUSES`; requests still waiting
  do not (the accept re-checks the places, inside its write transaction).

Every place that asks the question uses this module: the request handler
(:meth:`MentorAvailability.ensure_can_take`, the pause told first), the accept
(``Match.accept`` calls :meth:`MentorAvailability.ensure_has_place`: a pause stops
new requests only), the hard filter and its column
table (:func:`takes_requests`, written once for a scalar and for numpy columns),
the shortlist's "taking requests" and cohort planning
(:meth:`MentorAvailability.places_left`). The adapters count
:data:`ACTIVE_STATUSES` for :meth:`MatchRepository.active_count`; on MongoDB that
count also touches a per-mentor guard document so that concurrent accepts of one
mentor conflict (SQLite has a single writer), and the rule sees exactly
``capacity`` of them pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, overload

import numpy as np
import numpy.typing as npt

from matching_service.domain.errors import NOT_TAKING_REQUESTS, MentorPaused, NoCapacity

ACTIVE_STATUSES: frozenset[str] = frozenset({"accepted"})
"""Statuses of a match that hold one of its mentor's places."""

NOT_PAUSED = 0
"""The pause column's value (:func:`pause_ordinal`) when no pause is set."""


class AvailabilityFields(Protocol):
    """What a profile says about taking requests (``PersonProfile``, ``ProfileUpserted``)."""

    @property
    def capacity(self) -> int: ...
    @property
    def accepting_requests(self) -> bool: ...
    @property
    def paused_until(self) -> date | None: ...


def is_paused(paused_until: date | None, today: date) -> bool:
    """True while a pause of new requests runs: up to, not including, its end date.

    The pause ends by itself: on ``paused_until`` the person takes requests again, with
    no event needed.
    """
    return paused_until is not None and today < paused_until


def pause_ordinal(paused_until: date | None) -> int:
    """The pause as a number comparable with ``date.toordinal()`` (see :func:`takes_requests`)."""
    return NOT_PAUSED if paused_until is None else paused_until.toordinal()


@overload
def takes_requests(
    accepting: bool, capacity: int, active: int, paused_until: int, today: int
) -> bool: ...
@overload
def takes_requests(
    accepting: npt.NDArray[np.bool_],
    capacity: npt.NDArray[Any],
    active: npt.NDArray[Any],
    paused_until: npt.NDArray[Any],
    today: int,
) -> npt.NDArray[np.bool_]: ...
def takes_requests(
    accepting: Any, capacity: Any, active: Any, paused_until: Any, today: int
) -> Any:
    """The rule on one mentor's values or on whole numpy columns of them.

    Args:
        accepting: Whether they accept requests.
        capacity: Their places.
        active: Their active matches.
        paused_until: :func:`pause_ordinal` of their pause.
        today: ``date.toordinal()`` of the day asked about.

    Returns:
        A bool for scalars, a boolean array for columns.
    """
    return accepting & (capacity - active > 0) & (paused_until <= today)


@dataclass(frozen=True, slots=True)
class MentorAvailability:
    """Whether a mentor or coach can take one more mentee, and why not.

    Attributes:
        capacity: How many mentees or coachees they take at once.
        accepting_requests: False when they stopped taking new requests.
        paused_until: New requests are paused until this date (not included), or None.
        active_matches: Their matches holding a place (:data:`ACTIVE_STATUSES`).
    """

    capacity: int = 0
    accepting_requests: bool = False
    paused_until: date | None = None
    active_matches: int = 0

    @classmethod
    def of(cls, profile: AvailabilityFields | None, active_matches: int = 0) -> MentorAvailability:
        """The availability of a profile with its active matches; nobody (None) takes nothing."""
        if profile is None:
            return cls(active_matches=active_matches)
        return cls(
            capacity=profile.capacity,
            accepting_requests=profile.accepting_requests,
            paused_until=profile.paused_until,
            active_matches=active_matches,
        )

    def paused_on(self, today: date) -> bool:
        """Whether a pause runs on ``today``."""
        return is_paused(self.paused_until, today)

    def can_take(self, today: date) -> bool:
        """Whether they can be asked, and could accept, on ``today`` (:func:`takes_requests`)."""
        return takes_requests(
            self.accepting_requests,
            self.capacity,
            self.active_matches,
            pause_ordinal(self.paused_until),
            today.toordinal(),
        )

    def places_left(self, today: date) -> int:
        """Free places on ``today``: none while they do not take requests."""
        if not self.accepting_requests or self.paused_on(today):
            return 0
        return max(0, self.capacity - self.active_matches)

    def ensure_can_take(self, now: datetime) -> None:
        """Refuse a new request unless they can take one.

        Raises:
            MentorPaused: A pause runs (``details.paused_until``).
            NoCapacity: They stopped taking requests, or every place is taken.
        """
        self.ensure_not_paused(now)
        self.ensure_has_place()

    def ensure_not_paused(self, now: datetime) -> None:
        """Refuse a new request while a pause runs (the first part of :meth:`ensure_can_take`).

        Raises:
            MentorPaused: A pause runs (``details.paused_until``).
        """
        if self.paused_until is not None and self.paused_on(now.date()):
            raise MentorPaused(self.paused_until)

    def ensure_has_place(self) -> None:
        """Refuse an accept unless a place is free.

        A pause stops new requests only: the ones already waiting may still be accepted.

        Raises:
            NoCapacity: They stopped taking requests, or every place is taken.
        """
        if not self.accepting_requests:
            raise NoCapacity(NOT_TAKING_REQUESTS)
        if self.active_matches >= self.capacity:
            raise NoCapacity()
