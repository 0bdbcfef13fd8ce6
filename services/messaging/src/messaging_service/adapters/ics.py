"""iCalendar (RFC 5545) invites for confirmed sessions, built with ``icalendar``."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

from messaging_service.domain.model import Session

PRODID = "-//Mentor Match//Messaging//EN"
UID_DOMAIN = "mentor-match.service.gov.uk"
SUMMARY = "Mentoring session (Mentor Match)"


def session_uid(session: Session) -> str:
    """The invite's UID: the same for every version of one session's invite."""
    return f"session-{session.id}@{UID_DOMAIN}"


def session_invite(session: Session, *, stamped_at: datetime) -> bytes:
    """The session's invite as an ``.ics`` document.

    No ATTENDEE or ORGANIZER: those carry email addresses, which this service
    neither holds nor may share unless the two people shared contact details.
    SEQUENCE is the session's change counter, so a calendar replaces an older
    copy; a cancelled session keeps METHOD:REQUEST with STATUS:CANCELLED.

    Args:
        session: A session with an invite (confirmed, held, or cancelled after confirming).
        stamped_at: DTSTAMP, when this copy was produced.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", stamped_at)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", SUMMARY)
    if session.location:
        event.add("location", session.location)
    elif session.online_link:
        event.add("location", session.online_link)
    if session.online_link:
        event.add("url", session.online_link)
    event.add("sequence", session.sequence)
    event.add("status", "CANCELLED" if session.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
