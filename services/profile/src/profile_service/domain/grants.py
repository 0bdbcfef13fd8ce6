"""Contact grants: who may see whose contact details, and the reveal decision.

A grant exists for each accepted match; while it is active the two people of the
match see each other's contact details (:func:`contact_for`) and each other's
identity even when anonymous (:func:`reveals_identity`). Nobody else does, except
the owner (and, for identity, an administrator).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from profile_service.domain.contact import Contact
from profile_service.domain.errors import ContactNotShared
from profile_service.domain.profiles import Profile

__all__ = ["ContactGrant", "MatchPair", "contact_for", "reveals_identity"]


class MatchPair(Protocol):
    """The two people of a match (``match.accepted`` or a grant command)."""

    @property
    def match_id(self) -> str: ...
    @property
    def mentee_id(self) -> str: ...
    @property
    def mentor_id(self) -> str: ...


class ContactGrant(BaseModel):
    """Permission for the two people of an accepted match to see each other's contact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match_id: str
    mentee_id: str
    mentor_id: str
    active: bool = True
    granted_at: datetime
    ended_at: datetime | None = None

    @classmethod
    def from_accepted(cls, match: MatchPair, *, at: datetime) -> ContactGrant:
        """The grant an accepted match creates (``match.accepted``, or its command)."""
        return cls(
            match_id=match.match_id,
            mentee_id=match.mentee_id,
            mentor_id=match.mentor_id,
            granted_at=at,
        )

    def allows(self, viewer_id: str, subject_id: str) -> bool:
        """Whether ``viewer_id`` may see ``subject_id``'s contact details under this grant."""
        people = {self.mentee_id, self.mentor_id}
        return self.active and viewer_id != subject_id and {viewer_id, subject_id} == people

    def end(self, *, at: datetime) -> ContactGrant:
        """The grant after ``match.ended`` (idempotent)."""
        if not self.active:
            return self
        return self.model_copy(update={"active": False, "ended_at": at})


def contact_for(profile: Profile, viewer_id: str, grants: Iterable[ContactGrant]) -> Contact:
    """The profile's contact details if ``viewer_id`` may see them.

    The owner always may; anyone else needs an active grant linking them to the owner.

    Raises:
        ContactNotShared: No active accepted match between the two.
    """
    if viewer_id == profile.id or any(grant.allows(viewer_id, profile.id) for grant in grants):
        return profile.contact
    raise ContactNotShared(
        "Contact details are shared only between the two people of an accepted match."
    )


def reveals_identity(
    viewer_id: str, viewer_is_admin: bool, subject_id: str, grants: Iterable[ContactGrant]
) -> bool:
    """Whether ``viewer_id`` sees ``subject_id`` in full even when they chose anonymity.

    The owner and administrators always do; anyone else needs an active grant
    linking them to the subject.
    """
    if viewer_is_admin or viewer_id == subject_id:
        return True
    return any(grant.allows(viewer_id, subject_id) for grant in grants)
