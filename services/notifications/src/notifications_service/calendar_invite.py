"""iCalendar invitations for confirmed sessions (built with ``icalendar``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from notifications_service.domain.model import Attachment


def session_invite(
    session_id: str,
    starts_at: datetime,
    duration_minutes: int,
    *,
    summary: str,
    location: str | None,
    url: str,
) -> Attachment:
    """A one-event calendar file; the UID is stable so a re-sent invite updates,
    not duplicates, the calendar entry."""
    calendar = Calendar()
    calendar.add("prodid", "-//Mentor Match//Sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"session-{session_id}@mentor-match")
    event.add("dtstamp", datetime.now(UTC))
    start = starts_at if starts_at.tzinfo else starts_at.replace(tzinfo=UTC)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=duration_minutes))
    event.add("summary", summary)
    event.add("url", url)
    if location:
        event.add("location", location)
    calendar.add_component(event)
    return Attachment(
        filename="session.ics",
        content_type="text/calendar; method=PUBLISH",
        content=calendar.to_ical(),
    )
