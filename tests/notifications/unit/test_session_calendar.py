"""Session emails carry the calendar entry: the confirmation publishes it, the
cancellation of a confirmed session withdraws it (a real SMTP server receives
them; the attachment is read with ``icalendar``)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from icalendar import Calendar

from mentor_shared.events.schemas import SessionScheduled
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.service import commands
from tests.notifications.conftest import SmtpSink
from tests.notifications.unit.test_reactions_and_delivery import (
    Harness,
    ev,
    harness,
    profile,
    registered,
    worker,
)

__all__ = ["harness"]  # the fixture, shared with the delivery tests

STARTS = datetime(2026, 5, 6, 14, 0, tzinfo=UTC)
UID = "session-sess1@mentor-match.service.gov.uk"


def session(status: str, **extra: Any) -> SessionScheduled:
    fields: dict[str, Any] = {
        "session_id": "sess1",
        "conversation_id": "c",
        "match_id": "m",
        "proposer_id": "prop",
        "other_id": "other",
        "status": status,
        "starts_at": STARTS,
        "duration_minutes": 60,
        "location": "Teams",
        **extra,
    }
    return SessionScheduled(**fields)


async def two_people(harness: Harness) -> None:
    await harness.apply(registered("prop", "prop@example.gov.uk", "Pru Proposer"))
    await harness.apply(registered("other", "other@example.gov.uk", "Oli Other"))
    await harness.apply(profile("prop", "Pru Proposer"))
    await harness.apply(profile("other", "Oli Other"))


def calendar_of(message: EmailMessage) -> tuple[tuple[object, object], Any]:
    """The Content-Type's method and charset, the calendar and its one event, of the
    email's calendar attachment."""
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    (event,) = calendar.walk("VEVENT")
    return (part.get_param("method"), part.get_param("charset")), (calendar, event)


async def test_the_confirmation_invite_has_the_sessions_sequence_and_organizer_and_no_attendee(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await two_people(harness)
    await harness.apply(ev(session("confirmed", sequence=2, actor_id="other")))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    assert (await worker(harness, sender).run_once()).sent == 1
    (message,) = smtp_sink.messages
    assert message["To"] == "prop@example.gov.uk"
    content_type, (calendar, event) = calendar_of(message)
    assert content_type == ("PUBLISH", "utf-8")
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == UID
    assert int(event["SEQUENCE"]) == 2
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART") == STARTS
    assert str(event["ORGANIZER"]) == "mailto:no-reply@mentor-match.test"
    assert "ATTENDEE" not in event  # RFC 5546: a PUBLISH names no attendee
    assert str(event["SUMMARY"]) == "Mentoring session with Oli Other"


async def test_cancelling_a_confirmed_session_emails_both_a_cancel_of_the_same_entry(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await two_people(harness)
    await harness.apply(ev(session("confirmed", sequence=1, actor_id="other")))
    await harness.apply(ev(session("cancelled", sequence=2, actor_id="prop", was_confirmed=True)))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    assert (await worker(harness, sender).run_once()).sent == 3
    for address, first_line in (
        ("prop@example.gov.uk", "You cancelled your session with Oli Other"),
        ("other@example.gov.uk", "Pru Proposer cancelled your session"),
    ):
        (cancellation,) = [m for m in smtp_sink.to(address) if "cancelled" in m["Subject"]]
        body = cancellation.get_body(("plain",))
        assert body is not None
        assert first_line in body.get_content()
        content_type, (calendar, event) = calendar_of(cancellation)
        assert content_type == ("CANCEL", "utf-8")
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == UID
        assert int(event["SEQUENCE"]) == 2
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert str(event["ORGANIZER"]) == "mailto:no-reply@mentor-match.test"
    # In-app only for the one who did not cancel: the other knows already.
    rows = await harness.rows("SELECT recipient_id, title FROM notifications")
    cancelled = [r["recipient_id"] for r in rows if "cancelled" in str(r["title"])]
    assert cancelled == ["other"]


async def test_a_cancellation_follows_each_persons_preferences(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await two_people(harness)
    await commands.update_preferences(
        harness.uow(), "other", channels={"session": "in_app"}, daily_digest=None
    )
    await harness.apply(ev(session("cancelled", sequence=3, actor_id="prop", was_confirmed=True)))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    assert (await worker(harness, sender).run_once()).sent == 1
    assert [m["To"] for m in smtp_sink.messages] == ["prop@example.gov.uk"]
    jobs = await harness.rows("SELECT recipient_id, state, last_error FROM email_jobs")
    assert {"recipient_id": "other", "state": "suppressed", "last_error": "preference"} in jobs
    rows = await harness.rows("SELECT recipient_id FROM notifications")
    assert [r["recipient_id"] for r in rows] == ["other"]


async def test_cancelling_a_session_never_confirmed_sends_nothing(harness: Harness) -> None:
    await two_people(harness)
    await harness.apply(ev(session("proposed", actor_id="prop")))
    before = await harness.rows("SELECT id FROM email_jobs")
    await harness.apply(ev(session("cancelled", sequence=1, actor_id="prop")))
    assert await harness.rows("SELECT id FROM email_jobs") == before


async def test_with_the_daily_digest_on_a_calendar_entry_still_goes_at_once(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await two_people(harness)
    for person in ("prop", "other"):
        await commands.update_preferences(harness.uow(), person, channels={}, daily_digest=True)
    await harness.apply(ev(session("proposed", sequence=0, actor_id="prop")))
    await harness.apply(ev(session("confirmed", sequence=1, actor_id="other")))
    await harness.apply(ev(session("cancelled", sequence=2, actor_id="prop", was_confirmed=True)))
    jobs = await harness.rows("SELECT recipient_id, state FROM email_jobs")
    # The proposal has no entry and waits for the digest; the rest carry one.
    assert [j["recipient_id"] for j in jobs if j["state"] == "digest"] == ["other"]
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    assert (await worker(harness, sender).run_once()).sent == 3
    methods = sorted((str(m["To"]), calendar_of(m)[0][0]) for m in smtp_sink.messages)
    assert methods == [
        ("other@example.gov.uk", "CANCEL"),
        ("prop@example.gov.uk", "CANCEL"),
        ("prop@example.gov.uk", "PUBLISH"),
    ]


async def test_a_cancellation_queued_before_the_address_arrived_names_it_once_found(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    # The account event travels on another topic and can come after the session's.
    await harness.apply(registered("prop", "prop@example.gov.uk", "Pru Proposer"))
    await harness.apply(profile("prop", "Pru Proposer"))
    await harness.apply(profile("other", "Oli Other"))
    await harness.apply(ev(session("cancelled", sequence=2, actor_id="prop", was_confirmed=True)))
    await harness.apply(registered("other", "other@example.gov.uk", "Oli Other"))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    assert (await worker(harness, sender).run_once()).sent == 2
    for address in ("prop@example.gov.uk", "other@example.gov.uk"):
        (cancellation,) = smtp_sink.to(address)
        _, (_, event) = calendar_of(cancellation)
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert str(event["UID"]) == UID
