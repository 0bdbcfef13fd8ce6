"""Dates and durations as GOV.UK writes them, and as its date inputs carry them."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta

from mentor_shared.clock import utc_now


def _written(value: str | None, words: Callable[[datetime], str]) -> str:
    """An ISO moment from a service in words; "" for none, as it came if it is no date."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    return words(moment)


def format_date(value: str | None) -> str:
    """``2026-03-04T...`` -> ``4 March 2026`` (GOV.UK date style)."""
    return _written(value, lambda moment: f"{moment.day} {moment:%B %Y}")


def format_datetime(value: str | None) -> str:
    """``2026-03-04T14:05...`` -> ``4 March 2026 at 2:05pm`` (GOV.UK style, UTC)."""
    return _written(value, _day_and_time)


def _day_and_time(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{moment.day} {moment:%B %Y} at {hour}:{moment:%M}{suffix}"


def date_parts(value: str | None) -> dict[str, str]:
    """``2027-03-31`` -> the day, month and year fields of ``govukDateInput``."""
    if not value:
        return {"day": "", "month": "", "year": ""}
    year, month, day = str(value)[:10].split("-")
    return {"day": str(int(day)), "month": str(int(month)), "year": year}


def parse_date_parts(fields: dict[str, str]) -> tuple[str | None, str | None]:
    """A date from ``{"day", "month", "year"}`` as typed.

    Returns:
        (ISO date or None when all three are blank, an error message or None).
    """
    parts = [fields.get(part, "").strip() for part in ("day", "month", "year")]
    if not any(parts):
        return None, None
    if not all(parts):
        return None, "Enter a full date, for example 31 3 2027"
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day).isoformat(), None
    except ValueError:
        return None, "Enter a real date, for example 31 3 2027"


def activity_text(last_active: str | None, today: date | None = None) -> str | None:
    """ "Active this month" / "Active last month" from a ``YYYY-MM`` month, or None.

    Matching keeps only the month of someone's last activity, so nothing finer (such
    as "in the last week") can be said truthfully.
    """
    if not last_active:
        return None
    today = today or utc_now().date()
    this_month = f"{today.year:04d}-{today.month:02d}"
    previous = today.replace(day=1) - timedelta(days=1)
    if last_active == this_month:
        return "Active this month"
    if last_active == f"{previous.year:04d}-{previous.month:02d}":
        return "Active last month"
    return None


def reply_text(days: int | None) -> str | None:
    """ "Usually replies within N days", or None when not known."""
    if not days:
        return None
    return "Usually replies within 1 day" if days == 1 else f"Usually replies within {days} days"


def wait_text(seconds: float | None) -> str:
    """``Retry-After`` in words: "1 minute", "15 minutes", "2 hours"."""
    if seconds is None:
        return "a few minutes"
    minutes = max(1, math.ceil(seconds / 60))
    if minutes >= 120:
        hours = math.ceil(minutes / 60)
        return f"{hours} hours"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"
