"""The shortlist: people a member saved for later, and the pause of new requests.

A saved person stays on the list when they stop taking requests (they are shown as
such); they leave it only when the owner removes them or when either of the two
erases their account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

MAX_SAVED = 50
"""At most this many people on one member's shortlist."""


@dataclass(frozen=True, slots=True)
class SavedPerson:
    """One entry of a member's shortlist.

    Attributes:
        owner_id: The member who saved them.
        profile_id: The person saved.
        saved_at: When they were saved.
    """

    owner_id: str
    profile_id: str
    saved_at: datetime


def activity_month(moment: datetime) -> str:
    """The month (``YYYY-MM``, UTC) a moment of activity falls in: all that is kept of it."""
    return moment.astimezone(UTC).strftime("%Y-%m") if moment.tzinfo else moment.strftime("%Y-%m")


def is_paused(paused_until: date | None, today: date) -> bool:
    """True while a pause of new requests runs: up to, not including, its end date.

    The pause ends by itself: on ``paused_until`` the person takes requests again, with
    no event needed.
    """
    return paused_until is not None and today < paused_until
