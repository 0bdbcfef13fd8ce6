"""Errors of the matching domain."""

from __future__ import annotations


class MatchingError(Exception):
    """Base class of the matching domain's errors."""


class UnknownProfile(MatchingError):
    """The profile is not (or no longer) known to the matching service."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(f"unknown profile {profile_id}")
        self.profile_id = profile_id


class MatchNotFound(MatchingError):
    """No such match, or the caller is not one of its two people (not revealed)."""

    def __init__(self, match_id: str) -> None:
        super().__init__(f"unknown match {match_id}")
        self.match_id = match_id


class WrongParticipant(MatchingError):
    """The caller is in the match but this action belongs to the other person."""


class InvalidMatchRequest(MatchingError):
    """The request cannot be made at all (oneself, or someone who does not mentor)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MatchConflict(MatchingError):
    """The request clashes with the current state (limits, capacity, status).

    Attributes:
        code: Stable machine-readable code.
        details: Extra facts for the client (e.g. when it may try again), or None.
    """

    def __init__(self, code: str, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


class ErasedPerson(MatchingError):
    """The person deleted their account: nothing may be created for them any more."""

    def __init__(self, profile_id: str) -> None:
        super().__init__("this account was deleted")
        self.profile_id = profile_id
