"""Errors of the matching domain.

Each one is a :class:`mentor_shared.errors.DomainError` of the family its HTTP status
says, carrying the code and message callers see; routes let them propagate to the
shared error handler (``mentor_shared.web.errors.install_error_handlers``).
"""

from __future__ import annotations

from datetime import date

from mentor_shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from mentor_shared.errors import Unauthenticated as _Unauthenticated


class MatchingError(DomainError):
    """Base class of the matching domain's errors."""


class UnknownProfile(NotFound, MatchingError):
    """The profile is not (or no longer) known to the matching service (404)."""

    code = "profile_not_found"
    message = "No such mentor or coach"

    def __init__(self, profile_id: str, message: str | None = None) -> None:
        super().__init__(message)
        self.profile_id = profile_id

    def __str__(self) -> str:
        return f"unknown profile {self.profile_id}"


class ProfileNotIndexed(Conflict, UnknownProfile):
    """The caller's own profile has not reached matching yet (409)."""

    code = "profile_not_indexed"
    message = "Your profile is not indexed yet; try again in a moment"


class NotSaved(UnknownProfile):
    """The person is not on the caller's shortlist (404)."""

    code = "not_saved"
    message = "This person is not on your list"


class MatchNotFound(NotFound, MatchingError):
    """No such match, or the caller is not one of its two people (not revealed; 404)."""

    code = "match_not_found"
    message = "No such match"

    def __init__(self, match_id: str) -> None:
        super().__init__()
        self.match_id = match_id

    def __str__(self) -> str:
        return f"unknown match {self.match_id}"


class WrongParticipant(Forbidden, MatchingError):
    """The caller is in the match but this action belongs to the other person (403)."""

    code = "wrong_participant"


class InvalidMatchRequest(InvalidInput, MatchingError):
    """The request cannot be made at all: oneself, or someone who does not mentor (422).

    Raised with its own ``code`` (``cannot_request_self``, ``not_a_mentor``...).
    """


class NotAMentor(Forbidden, InvalidMatchRequest):
    """Only mentors and coaches may do this, and the caller is neither (403)."""

    code = "not_a_mentor"
    message = "Only mentors and coaches receive requests"


class MatchConflict(Conflict, MatchingError):
    """The request clashes with the current state: limits, capacity, status (409).

    Raised with its own ``code`` and, where the client can act on them, ``details``
    (e.g. when it may try again).
    """


class InvalidStatus(MatchConflict):
    """The match is not in a status this change applies to (409)."""

    code = "invalid_status"

    def __init__(self, status: str) -> None:
        super().__init__(f"the match is {status}")


class MentorPaused(MatchConflict):
    """The mentor or coach paused new requests until a date (409, ``details.paused_until``)."""

    code = "mentor_paused"

    def __init__(self, until: date) -> None:
        text = until.isoformat()
        super().__init__(
            f"This person has paused new requests until {text}; you can ask them from then",
            details={"paused_until": text},
        )


class NoCapacity(MatchConflict):
    """The mentor or coach has no place for one more mentee (409).

    By default every place is taken; raised with :data:`NOT_TAKING_REQUESTS` when
    they stopped taking requests altogether.
    """

    code = "no_capacity"
    message = "This person has no capacity left"


NOT_TAKING_REQUESTS = "This person is not taking requests"


class ErasedPerson(_Unauthenticated, MatchingError):
    """The person deleted their account: nothing may be created for them any more (401)."""

    code = "token_revoked"
    message = "This account was deleted"

    def __init__(self, profile_id: str) -> None:
        super().__init__()
        self.profile_id = profile_id
