"""Anonymised match events for other departments (DESIGN.md, privacy rules).

Built from the MENTEE's profile: programmes report on their participants, so the
department, profession, grade band and region are the mentee's. Nothing that
identifies a person leaves: no names, no profile or match ids, a fresh random id
per delivery, the grade as a band, and the time truncated to the hour so it
cannot be lined up with one person's activity.
"""

from __future__ import annotations

from datetime import datetime

from mentor_shared.events.schemas import GRADE_ORDER, grade_rank

GRADE_BANDS: dict[str, tuple[str, ...]] = {
    "junior": ("AA", "AO"),
    "middle": ("EO", "HEO", "SEO"),
    "senior": ("G7", "G6"),
    "scs": ("SCS1", "SCS2", "SCS3", "SCS4"),
}
_BAND_OF = {grade: band for band, grades in GRADE_BANDS.items() for grade in grades}
assert set(_BAND_OF) == set(GRADE_ORDER), "every grade in the contract needs a band"


def grade_band(grade: str | None) -> str | None:
    """The band of a grade code (junior, middle, senior, scs); None when unknown."""
    if grade_rank(grade) is None:
        return None
    assert grade is not None
    return _BAND_OF[grade]


def coarse_time(moment: datetime) -> datetime:
    """The hour an event happened in."""
    return moment.replace(minute=0, second=0, microsecond=0)
