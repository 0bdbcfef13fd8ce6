"""How quickly a mentor or coach answers requests: the input of the ranking's load spreading.

The statistic is the **median of the last** :data:`REPLY_SAMPLE_SIZE` **reply times**,
kept per mentor and updated in the same transaction as the answer (or the expiry) it
records, so reading it on every suggestion costs one indexed lookup, never a scan of
the match history.

Why a median of recent replies rather than an exponentially weighted average: an
expired request enters as a reply time of the whole expiry period (336 hours by
default). In an average with a weight of 0.2, that one miss lifts a mentor who always
answers within two hours to about 69 hours at once, past the 48 penalty-free hours,
and a weight small enough to avoid that takes months to notice a mentor who has
stopped answering. The median of the last nine ignores one holiday or one missed
request, moves once most recent requests are answered slowly, and forgets old
behaviour after nine answers, so a mentor who became prompt recovers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from matching_service.domain.matches import Match
from matching_service.domain.model import CandidateLoad

USUAL_REPLY_MIN_REPLIES = 3
"""A usual reply time is shown on cards only once this many replies are known."""

REPLY_SAMPLE_SIZE = 9
"""Reply times kept per mentor (odd, so the median is one of them). For a mentor taking
a few requests a month this spans the last few months."""

ANSWERED_STATUSES: frozenset[str] = frozenset({"accepted", "declined"})
"""Statuses the mentor's own answer leads to. An ended match was accepted first and
counted then; ending it says nothing more about the reply."""


def _hours(span: timedelta) -> float:
    # A clock that stepped back must not produce a negative reply time.
    return max(0.0, span.total_seconds() / 3600)


@dataclass(frozen=True, slots=True)
class ReplyTimes:
    """A mentor's or coach's most recent reply times.

    Attributes:
        mentor_id: The mentor's or coach's profile id.
        recent_hours: Hours from request to answer, oldest first, at most
            :data:`REPLY_SAMPLE_SIZE` of them.
    """

    mentor_id: str
    recent_hours: tuple[float, ...] = ()

    def with_reply(self, hours: float) -> ReplyTimes:
        """These reply times plus a new one; the oldest drops out past the sample size."""
        recent = (*self.recent_hours, max(0.0, hours))[-REPLY_SAMPLE_SIZE:]
        return ReplyTimes(self.mentor_id, recent)

    @property
    def median_hours(self) -> float | None:
        """The usual reply time: median of the recent ones; None before any reply."""
        return float(median(self.recent_hours)) if self.recent_hours else None


def reply_hours(match: Match, request_expiry: timedelta) -> float | None:
    """What this match says about how long its mentor takes to answer.

    Args:
        match: The match after its latest change.
        request_expiry: How long a request waits before it expires.

    Returns:
        Hours from request to answer for a match just accepted or declined; the
        whole expiry period for one just expired (the mentor never answered, and the
        sweep that expires it may run a little later); None for a request still
        waiting, withdrawn (the mentee's doing, nothing about the mentor) or ended
        (counted when it was accepted).
    """
    if match.status == "expired":
        return _hours(request_expiry)
    if match.status in ANSWERED_STATUSES and match.answered_at is not None:
        return _hours(match.answered_at - match.created_at)
    return None


def waiting_hours(created_at: datetime, now: datetime) -> float:
    """Age in hours of a request still waiting for its answer."""
    return _hours(now - created_at)


LiveCounts = tuple[str, int, int, datetime | None]
"""A mentor's live matches as the stores count them: (mentor id, accepted, waiting,
when their oldest waiting request was made)."""


def candidate_loads(
    live: Iterable[LiveCounts], medians: Mapping[str, float], now: datetime
) -> dict[str, CandidateLoad]:
    """Every mentor's load: their live counts, and the median reply time of the slow.

    Args:
        live: The live counts of each mentor with a live match.
        medians: Median reply hours of the mentors slow enough to be penalised.
        now: The time waiting requests' ages are taken at.

    Loads without a waiting request or a median differ only in their counts, so one
    object serves each pair of counts: a reading covers thousands of mentors and is
    taken every few seconds in a process that answers requests meanwhile (at 4,745
    mentors, making a load each took about half of the reading's 44 ms).
    """
    slow = dict(medians)
    shared: dict[tuple[int, int], CandidateLoad] = {}
    loads: dict[str, CandidateLoad] = {}
    for mentor_id, active, waiting, oldest in live:
        median = slow.pop(mentor_id, None)
        if oldest is None and median is None:
            load = shared.get((active, waiting))
            if load is None:
                load = shared[active, waiting] = CandidateLoad(active, waiting)
        else:
            hours = None if oldest is None else waiting_hours(oldest, now)
            load = CandidateLoad(active, waiting, median, hours)
        loads[mentor_id] = load
    for mentor_id, median in slow.items():
        loads[mentor_id] = CandidateLoad(median_reply_hours=median)
    return loads


def usual_reply_days(replies: ReplyTimes | None) -> int | None:
    """ "Usually replies within N days": the median of the recent reply times in whole
    days, rounded up (at least 1); None before :data:`USUAL_REPLY_MIN_REPLIES` replies.

    An expired request counts as a reply of the whole expiry period, so a mentor who
    lets requests lapse shows it here too.
    """
    if replies is None or len(replies.recent_hours) < USUAL_REPLY_MIN_REPLIES:
        return None
    hours = replies.median_hours
    assert hours is not None
    return max(1, math.ceil(hours / 24))
