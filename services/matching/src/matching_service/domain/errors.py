"""Errors of the matching domain."""

from __future__ import annotations


class MatchingError(Exception):
    """Base class of the matching domain's errors."""


class UnknownProfile(MatchingError):
    """The profile is not (or no longer) known to the matching service."""

    def __init__(self, profile_id: str) -> None:
        super().__init__(f"unknown profile {profile_id}")
        self.profile_id = profile_id
