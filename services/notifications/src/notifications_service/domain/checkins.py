"""Check-ins: after the 3rd and 6th confirmed session of a match, each person is
asked "How is it going?" (a rating from 1 to 5 and an optional comment).

Administrators only ever see aggregates, with groups under
:data:`SUPPRESS_BELOW` answers suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from notifications_service.domain.model import derived_id

ROUNDS: tuple[int, ...] = (3, 6)
"""After which confirmed session a check-in is sent."""
SUPPRESS_BELOW = 5
COMMENT_MAX = 1000


@dataclass(slots=True)
class CheckIn:
    """One person's check-in for one round of one match."""

    id: str
    recipient_id: str
    match_id: str
    conversation_id: str
    round: int
    created_at: datetime
    rating: int | None = None
    comment: str | None = None
    answered_at: datetime | None = None

    @property
    def answered(self) -> bool:
        """Whether the person has answered it."""
        return self.answered_at is not None

    def answer(self, rating: int, comment: str | None, now: datetime) -> None:
        """Record the person's rating and comment (blank comments are dropped)."""
        self.rating = rating
        self.comment = (comment or "").strip() or None
        self.answered_at = now


def checkin_id(match_id: str, recipient_id: str, round_: int) -> str:
    """Stable id: one check-in per person, match and round, however often the
    round's session count is reached."""
    return derived_id("checkin", match_id, recipient_id, str(round_))


@dataclass(frozen=True, slots=True)
class RoundSummary:
    """Aggregates of one round; ``None`` where fewer than five answered."""

    round: int
    sent: int
    answered: int | None
    mean_rating: float | None
    distribution: dict[int, int] | None


def summarise(round_: int, sent: int, ratings: Iterable[int]) -> RoundSummary:
    """Count, mean and distribution of one round's ratings, suppressed below five."""
    values = list(ratings)
    if len(values) < SUPPRESS_BELOW:
        return RoundSummary(round_, sent, None, None, None)
    return RoundSummary(
        round=round_,
        sent=sent,
        answered=len(values),
        mean_rating=round(sum(values) / len(values), 2),
        distribution={score: values.count(score) for score in range(1, 6)},
    )
