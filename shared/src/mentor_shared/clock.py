"""The one clock and time codec every service uses.

Every moment inside the code is an aware UTC ``datetime``. Stores keep moments
in one of two forms, and convert only here:

- text (:func:`to_text` / :func:`from_text`): ISO 8601 with the UTC offset, which
  SQLite columns compare and sort correctly as long as every row is written
  by :func:`to_text`;
- epoch seconds (:func:`to_epoch` / :func:`from_epoch`): a float, for columns
  that are compared with arithmetic (expiry windows, rate-limit buckets).

MongoDB stores ``datetime`` natively but hands it back naive (PyMongo's
default), so its adapters pass what they read through :func:`as_utc`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


def utc_now() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """The same moment as an aware UTC datetime; a naive one is read as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@overload
def to_text(moment: datetime) -> str: ...
@overload
def to_text(moment: None) -> None: ...
def to_text(moment: datetime | None) -> str | None:
    """ISO 8601 text of the moment in UTC (``2026-12-03T10:00:00+00:00``)."""
    return None if moment is None else as_utc(moment).isoformat()


@overload
def from_text(text: str) -> datetime: ...
@overload
def from_text(text: None) -> None: ...
def from_text(text: str | None) -> datetime | None:
    """The moment :func:`to_text` wrote (naive text is read as UTC)."""
    return None if text is None else as_utc(datetime.fromisoformat(text))


@overload
def to_epoch(moment: datetime) -> float: ...
@overload
def to_epoch(moment: None) -> None: ...
def to_epoch(moment: datetime | None) -> float | None:
    """Seconds since the Unix epoch (naive moments are read as UTC)."""
    return None if moment is None else as_utc(moment).timestamp()


@overload
def from_epoch(seconds: float) -> datetime: ...
@overload
def from_epoch(seconds: None) -> None: ...
def from_epoch(seconds: float | None) -> datetime | None:
    """The aware UTC moment of epoch seconds."""
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)
