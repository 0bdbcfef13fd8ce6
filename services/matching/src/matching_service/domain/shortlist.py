"""The shortlist: people a member saved for later, and the month of a member's activity.

A saved person stays on the list when they stop taking requests (they are shown as
such); they leave it only when the owner removes them or when either of the two
erases their account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mentor_shared.clock import as_utc

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
    return as_utc(moment).strftime("%Y-%m")
