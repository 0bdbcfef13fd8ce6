"""Match requests and their lifecycle (pure rules, no storage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from matching_service.domain.errors import MatchConflict, MatchNotFound, WrongParticipant

MatchStatus = Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]
MatchRole = Literal["mentor", "coach"]
OPEN_STATUSES: frozenset[str] = frozenset({"requested"})
PAIRED_STATUSES: frozenset[str] = frozenset({"requested", "accepted", "declined"})
"""Statuses that keep a pair out of each other's suggestions."""


ERASED_PERSON = "erased"
"""Stands in for a person who deleted their account, in the matches they were part of."""


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Limits and timings of match requests (from settings)."""

    max_open_requests: int = 3
    request_expiry: timedelta = timedelta(days=14)
    reminder_after: timedelta = timedelta(days=7)
    keep_other_requests_on_accept: bool = False


@dataclass(slots=True)
class Match:
    """A request from a mentee to a mentor or coach, and what became of it."""

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
    def is_open(self) -> bool:
        """Waiting for the mentor's answer."""
        return self.status in OPEN_STATUSES

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
            raise MatchConflict("invalid_status", f"the match is {self.status}")

    def accept(self, now: datetime) -> None:
        """The mentor said yes."""
        self._require("requested")
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

    def end(self, now: datetime, by: str, rating: int | None, comment: str | None) -> None:
        """An accepted match ends; either person may leave feedback."""
        self._require("accepted")
        self.status, self.ended_at, self.ended_by = "ended", now, by
        self.rating, self.comment = rating, comment

    def erase_personal_text(self) -> None:
        """Drop the free text written in the match (erasure of one of its people)."""
        self.message = ""
        self.comment = None

    def forget_person(self, person_id: str) -> None:
        """Erasure: the record stays for the other person and the aggregate figures,
        but no longer points at the erased person."""
        self.erase_personal_text()
        if self.mentee_id == person_id:
            self.mentee_id = ERASED_PERSON
        if self.mentor_id == person_id:
            self.mentor_id = ERASED_PERSON
        if self.ended_by == person_id:
            self.ended_by = ERASED_PERSON
