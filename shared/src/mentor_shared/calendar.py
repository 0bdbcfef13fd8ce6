"""The one iCalendar (RFC 5545) builder for sessions, with iTIP (RFC 5546) methods.

Messaging serves a session's invite for download; notifications attaches it to
the confirmation email and emails a cancellation. Both build it here, so a
person who has both copies holds one calendar entry:

- the UID is the same for every copy of one session (:func:`session_uid`);
- ``SEQUENCE`` is the session's change counter (messaging's ``Session.sequence``,
  carried by ``session.scheduled`` v3), so a calendar keeps the latest copy;
- a live session is ``METHOD:PUBLISH`` with ``STATUS:CONFIRMED``; a cancelled
  one is ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and the same UID, which
  removes the entry.

No ATTENDEE or ORGANIZER unless the caller passes one: those are email
addresses, and only the notifications service holds any (the service's own
sender, and the recipient's own address in the recipient's own email). As RFC 5546
has it, only a CANCEL names an ATTENDEE; a PUBLISH never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from icalendar import Calendar, Event, vCalAddress

from mentor_shared.clock import as_utc

PRODID = "-//Mentor Match//Sessions//EN"
UID_DOMAIN = "mentor-match.service.gov.uk"
SERVICE_NAME = "Mentor Match"

Method = Literal["PUBLISH", "CANCEL"]


def session_uid(session_id: str) -> str:
    """The UID of every copy of one session's calendar entry."""
    return f"session-{session_id}@{UID_DOMAIN}"


@dataclass(frozen=True)
class CalendarSession:
    """What a calendar entry says about one session."""

    session_id: str
    starts_at: datetime
    duration_minutes: int
    sequence: int
    summary: str
    cancelled: bool = False
    location: str | None = None
    url: str | None = None

    @property
    def method(self) -> Method:
        """``CANCEL`` for a cancelled session, ``PUBLISH`` otherwise."""
        return "CANCEL" if self.cancelled else "PUBLISH"


def content_type(method: Method) -> str:
    """The MIME type of a calendar object sent with ``method`` (RFC 6047)."""
    return f"text/calendar; method={method}; charset=utf-8"


def session_calendar(
    session: CalendarSession,
    *,
    stamped_at: datetime,
    organizer: str | None = None,
    attendee: str | None = None,
) -> bytes:
    """The session as a one-event ``.ics`` document.

    Args:
        session: What the entry says.
        stamped_at: DTSTAMP: when this copy was produced.
        organizer: The service's own sender address, for an emailed copy.
        attendee: The recipient's own address, for a cancellation emailed to them
            (left out of a PUBLISH).
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", session.method)
    event = Event()
    event.add("uid", session_uid(session.session_id))
    event.add("dtstamp", as_utc(stamped_at))
    starts_at = as_utc(session.starts_at)
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + timedelta(minutes=session.duration_minutes))
    event.add("summary", session.summary)
    if session.location:
        event.add("location", session.location)
    if session.url:
        event.add("url", session.url)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.cancelled else "CONFIRMED")
    if organizer:
        address = vCalAddress(f"mailto:{organizer}")
        address.params["cn"] = SERVICE_NAME
        event.add("organizer", address)
    if attendee and session.cancelled:
        # RFC 5546 3.2.1 and 3.2.5: a PUBLISH has no ATTENDEE, a CANCEL names whom it tells.
        event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def addressed_to(ics: bytes, attendee: str) -> bytes:
    """``ics`` with ``attendee`` named on each event of a cancellation that names nobody.

    A cancellation can be queued before the recipient's address reaches the
    notifications service; this adds it once found. Anything else (a PUBLISH, an
    event that already names someone) comes back unchanged.
    """
    calendar = Calendar.from_ical(ics)
    if str(calendar.get("method")) != "CANCEL":
        return ics
    events = [event for event in calendar.walk("VEVENT") if "attendee" not in event]
    if not events:
        return ics
    for event in events:
        event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    return bytes(calendar.to_ical())
