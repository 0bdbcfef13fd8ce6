"""Commands of the matching service (imperative names, plain data)."""

from __future__ import annotations

from dataclasses import dataclass

from matching_service.domain.matches import MatchRole


@dataclass(frozen=True, slots=True)
class RequestMatch:
    """A mentee asks a mentor or coach for an introduction."""

    mentee_id: str
    mentor_id: str
    message: str
    role: MatchRole | None = None


@dataclass(frozen=True, slots=True)
class AnswerMatch:
    """Accept, decline, withdraw or end a match."""

    match_id: str
    actor_id: str
    reason: str | None = None
    rating: int | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class DeclineOpenRequests:
    """A mentor or coach declines every request still waiting, with one message."""

    mentor_id: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SavePerson:
    """A member puts someone on their shortlist."""

    owner_id: str
    profile_id: str
