"""Directory search: filters, an opaque cursor, and the usage figures administrators see."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Literal

from profile_service.domain.errors import InvalidInput
from profile_service.domain.model import Profile

RoleFilter = Literal["mentor", "mentee", "coach"]
MAX_PAGE = 100


class InvalidCursor(InvalidInput):
    """The cursor was not one this service handed out."""

    code = "invalid_cursor"


def name_key(display_name: str) -> str:
    """The sort and search form of a name: case-folded, spaces collapsed."""
    return " ".join(display_name.split()).casefold()


@dataclass(frozen=True, slots=True)
class DirectoryPosition:
    """Where a page ended: the last profile's sort key and id."""

    name_key: str
    profile_id: str

    def encode(self) -> str:
        """The opaque cursor handed to clients."""
        raw = json.dumps([self.name_key, self.profile_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> DirectoryPosition:
        """Read a cursor back.

        Raises:
            InvalidCursor: It was tampered with or is not from this service.
        """
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            key, profile_id = json.loads(raw)
        except (binascii.Error, ValueError, TypeError) as error:
            raise InvalidCursor("The cursor is not valid; start from the first page.") from error
        if not isinstance(key, str) or not isinstance(profile_id, str):
            raise InvalidCursor("The cursor is not valid; start from the first page.")
        return cls(key, profile_id)

    @classmethod
    def after(cls, profile: Profile) -> DirectoryPosition:
        """The position just after ``profile``."""
        return cls(name_key(profile.display_name), profile.id)


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
        """Whether the filters touch what anonymous cards hide."""
        return bool(self.name_fragment or self.profession or self.region)


@dataclass(frozen=True, slots=True)
class ProfileStats:
    """Usage figures for administrators."""

    users: int
    verified: int
    mentors: int
    mentees: int
    coaches: int
    by_department: dict[str, int] = field(default_factory=dict)
