"""Match requests and their lifecycle (pure rules, no storage)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from matching_service.domain.availability import MentorAvailability
from matching_service.domain.errors import InvalidStatus, MatchNotFound, WrongParticipant

MatchStatus = Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]
MatchRole = Literal["mentor", "coach"]
OPEN_STATUSES: frozenset[str] = frozenset({"requested"})
LIVE_STATUSES: frozenset[str] = frozenset({"requested", "accepted"})
"""Statuses of a pair's match that bar a new request between them."""
PAIRED_STATUSES: frozenset[str] = frozenset({"requested", "accepted", "declined"})
"""Statuses that keep a pair out of each other's suggestions."""


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Limits and timings of match requests (from settings)."""

    max_open_requests: int = 3
    request_expiry: timedelta = timedelta(days=14)
    reminder_after: timedelta = timedelta(days=7)
    keep_other_requests_on_accept: bool = False
    rerequest_after: timedelta = timedelta(days=30)
    """How long a mentee waits before asking the same person again after a "no"."""


@dataclass(slots=True)
class Match:
    """A request from a mentee to a mentor or coach, and what became of it.

    Every change of status goes through one of its methods, which refuse a change
    the current status does not allow (:class:`InvalidStatus`, ``invalid_status``).
    """

    id: str
    mentee_id: str
    mentor_id: str
    role: MatchRole
    status: MatchStatus
    message: str
    created_at: datetime
    reason: str | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    ended_by: str | None = None
    reminder_sent: bool = False
    rating: int | None = None
    comment: str | None = None

    @property
    def closed_without_yes(self) -> bool:
        """The request ended without a yes in a way that bars asking again for a while.

        A decline, the mentee's own withdrawal, and an expiry (the mentor let it lapse:
        a silent "no", and asking again at once would mail them again) count; a request
        withdrawn because another mentor accepted does not (the mentee did not choose
        it), nor does a match that was accepted and later ended.
        """
        if self.status in ("declined", "expired"):
            return True
        return self.status == "withdrawn" and self.reason != "another_accepted"

    @property
    def is_open(self) -> bool:
        """Waiting for the mentor's answer."""
        return self.status in OPEN_STATUSES

    @property
    def is_live(self) -> bool:
        """Waiting for an answer or accepted: the pair may not ask again meanwhile."""
        return self.status in LIVE_STATUSES

    def other(self, person_id: str) -> str:
        """The other person of the match."""
        return self.mentor_id if person_id == self.mentee_id else self.mentee_id

    def check_actor(self, actor_id: str, side: Literal["mentor", "mentee", "either"]) -> None:
        """Raise unless ``actor_id`` may act on this match as ``side``.

        Raises:
            MatchNotFound: The actor is not in the match (its existence is not revealed).
            WrongParticipant: The actor is the other participant.
        """
        if actor_id not in (self.mentee_id, self.mentor_id):
            raise MatchNotFound(self.id)
        if side == "mentor" and actor_id != self.mentor_id:
            raise WrongParticipant("only the mentor or coach can do this")
        if side == "mentee" and actor_id != self.mentee_id:
            raise WrongParticipant("only the person who asked can do this")

    def _require(self, *statuses: MatchStatus) -> None:
        if self.status not in statuses:
            raise InvalidStatus(self.status)

    def accept(self, now: datetime, mentor: MentorAvailability) -> None:
        """The mentor said yes, and has a place for it.

        Raises:
            InvalidStatus: The request is no longer waiting.
            NoCapacity: The mentor stopped taking requests, or every place is taken.
        """
        self._require("requested")
        mentor.ensure_has_place()
        self.status, self.answered_at = "accepted", now

    def decline(self, now: datetime, reason: str | None) -> None:
        """The mentor said no."""
        self._require("requested")
        self.status, self.answered_at, self.reason = "declined", now, reason

    def withdraw(self, now: datetime, reason: str) -> None:
        """The mentee took the request back (or another one was accepted)."""
        self._require("requested")
        self.status, self.answered_at, self.reason = "withdrawn", now, reason

    def expire(self, now: datetime) -> None:
        """Nobody answered in time."""
        self._require("requested")
        self.status, self.answered_at, self.reason = "expired", now, "expired"

    def remind(self) -> None:
        """The mentor was reminded of the waiting request (once)."""
        self._require("requested")
        self.reminder_sent = True

    def end(self, now: datetime, by: str, rating: int | None, comment: str | None) -> None:
        """An accepted match ends; either person may leave feedback."""
        self._require("accepted")
        self.status, self.ended_at, self.ended_by = "ended", now, by
        self.rating, self.comment = rating, comment


def rerequest_allowed_from(pair_history: Iterable[Match], policy: MatchPolicy) -> datetime | None:
    """When the mentee may ask this mentor again, or None when nothing bars it.

    Args:
        pair_history: The matches between one mentee and one mentor.
        policy: Gives the waiting period after a "no" (``rerequest_after``).

    Returns:
        The end of the waiting period that began with the latest refusal, decline,
        withdrawal or expiry of the pair (see :attr:`Match.closed_without_yes`).
    """
    closed = [
        match.answered_at or match.created_at for match in pair_history if match.closed_without_yes
    ]
    if not closed:
        return None
    return max(closed) + policy.rerequest_after
