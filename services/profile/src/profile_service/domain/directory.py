"""Directory search: filters, the page position, and the usage figures administrators see."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from mentor_shared.privacy import may_match_on
from profile_service.domain.errors import InvalidInput
from profile_service.domain.profiles import Profile

RoleFilter = Literal["mentor", "mentee", "coach"]
MAX_PAGE = 100


class InvalidCursor(InvalidInput):
    """The cursor was not one this service handed out."""

    code = "invalid_cursor"


INVALID_CURSOR_MESSAGE = "The cursor is not valid; start from the first page."


def name_key(display_name: str) -> str:
    """The sort and search form of a name: case-folded, spaces collapsed."""
    return " ".join(display_name.split()).casefold()


def sort_key(profile: Profile) -> str:
    """Where a profile sits in the directory's name order.

    Anonymous people are placed by their initials, the only part of the name their
    card shows: placed by their full name, their position between named people
    would tell others roughly what it is. The same key is stored as the profiles'
    ``name_key``, so the search column holds no anonymous person's name either
    (name searches never match them anyway).
    """
    return name_key(profile.initials if profile.anonymous else profile.display_name)


@dataclass(frozen=True, slots=True)
class DirectoryPosition:
    """Where a page ended: the last profile's sort key and id.

    Handed to clients only sealed (``DirectoryCursors``): the sort key is derived
    from a name, so it never leaves the service readable.
    """

    name_key: str
    profile_id: str

    def to_bytes(self) -> bytes:
        """The plain form a cursor seals."""
        return json.dumps([self.name_key, self.profile_id], separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> DirectoryPosition:
        """Read the plain form back.

        Raises:
            InvalidCursor: It is not a position.
        """
        try:
            key, profile_id = json.loads(raw)
        except (ValueError, TypeError) as error:
            raise InvalidCursor(INVALID_CURSOR_MESSAGE) from error
        if not isinstance(key, str) or not isinstance(profile_id, str):
            raise InvalidCursor(INVALID_CURSOR_MESSAGE)
        return cls(key, profile_id)

    @classmethod
    def after(cls, profile: Profile) -> DirectoryPosition:
        """The position just after ``profile``."""
        return cls(sort_key(profile), profile.id)


@dataclass(frozen=True, slots=True)
class DirectoryQuery:
    """Filters of ``GET /v1/profiles``; all given filters must match.

    People who chose to appear anonymous never match a name search, nor a filter on
    something their anonymised card hides (profession, region).
    """

    q: str | None = None
    department: str | None = None
    profession: str | None = None
    grade: str | None = None
    region: str | None = None
    role: RoleFilter | None = None
    after: DirectoryPosition | None = None
    limit: int = 20

    @property
    def name_fragment(self) -> str | None:
        """The name search as stored keys spell names, or None."""
        if self.q is None:
            return None
        fragment = name_key(self.q)
        return fragment or None

    @property
    def excludes_anonymous(self) -> bool:
        """Whether a filter touches what anonymous cards hide (the shared rule)."""
        used = {
            "display_name": self.name_fragment,
            "profession": self.profession,
            "region": self.region,
            "department": self.department,
            "grade": self.grade,
        }
        return any(
            value and not may_match_on(field, anonymous=True) for field, value in used.items()
        )


@dataclass(frozen=True, slots=True)
class ProfileStats:
    """Usage figures for administrators."""

    users: int
    verified: int
    mentors: int
    mentees: int
    coaches: int
    by_department: dict[str, int] = field(default_factory=dict)
