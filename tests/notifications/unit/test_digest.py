"""The daily digest on a real SQLite file, with a moved clock."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import (
    AccountPasswordResetRequested,
    AccountRegistered,
    MatchAccepted,
    MatchEnded,
    MatchReminderDue,
    MatchRequested,
    MessageSent,
    ProfileDeleted,
    SessionScheduled,
)
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.consumers import make_event_handler
from notifications_service.domain.model import EmailJob, digest_job_id
from notifications_service.domain.unsubscribe import read_unsubscribe_token
from notifications_service.service import commands
from notifications_service.service.delivery import DeliveryConfig, DeliveryWorker
from notifications_service.service.notify import NotifyConfig
from notifications_service.service.ports import DeliveryError
from tests.notifications.conftest import SmtpSink
from tests.sealing import SEALER

SECRET = "unit-test-unsubscribe-secret"
CONFIG = NotifyConfig(
    public_url="http://web.test", api_url="http://api.test", unsubscribe_secret=SECRET
)
# Handlers stamp jobs with the real time; the tests' clock starts the next day.
DAY = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass
class RecordingSender:
    """Keeps what it was asked to send."""

    sent: list[EmailJob] = field(default_factory=list)

    async def send(self, job: EmailJob, *, mail_from: str) -> None:
        # A copy of what went out: the job itself forgets its content once sent.
        self.sent.append(copy.deepcopy(job))


class NoPoster:
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        raise DeliveryError("no webhooks in these tests")


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Digests:
    db: SqliteDatabase
    sender: RecordingSender
    clock: Clock
    worker: DeliveryWorker

    def uow(self) -> SqliteNotificationsUnitOfWork:
        return SqliteNotificationsUnitOfWork(self.db)

    async def apply(self, payload: object, subject: str = "s") -> None:
        event: Envelope = new_event(payload, subject=subject, source="test")  # type: ignore[arg-type]
        async with self.uow() as uow:
            await make_event_handler(CONFIG, SEALER)(event, uow)
            await uow.commit()

    async def states(self, recipient: str) -> dict[str, int]:
        rows = await self.db.fetchall(
            "SELECT state, count(*) AS n FROM email_jobs WHERE recipient_id = ? GROUP BY state",
            (recipient,),
        )
        return {str(r["state"]): int(r["n"]) for r in rows}

    async def job(self, job_id: str) -> EmailJob | None:
        async with self.uow() as uow:
            return await uow.email_jobs.get(job_id)


@pytest.fixture
async def digests(tmp_path: Path) -> AsyncIterator[Digests]:
    db = await SqliteDatabase(tmp_path / "d.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    sender = RecordingSender()
    clock = Clock(DAY.replace(hour=5))
    worker = DeliveryWorker(
        lambda: SqliteNotificationsUnitOfWork(db),
        sender,
        NoPoster(),
        DeliveryConfig(mail_from="Mentor Match <no-reply@test>", digest_hour_utc=7),
        notify_config=CONFIG,
        clock=clock,
    )
    try:
        yield Digests(db, sender, clock, worker)
    finally:
        await db.close()


async def _digest_person(d: Digests, person: str = "p") -> None:
    await d.apply(AccountRegistered(account_id=person, email=f"{person}@example.gov.uk",
                                    display_name="Pat"), person)  # fmt: skip
    await commands.update_preferences(d.uow(), person, channels={}, daily_digest=True)


async def _three_things_happen(d: Digests, person: str = "p") -> None:
    sent_at = d.clock.now
    await d.apply(MessageSent(conversation_id="c1", message_id="m1", sender_id="s",
                              recipient_id=person, sent_at=sent_at))  # fmt: skip
    await d.apply(MatchAccepted(match_id="m1", mentee_id=person, mentor_id="mentor"))
    await d.apply(MatchReminderDue(match_id="m2", mentee_id="x", mentor_id=person))


async def test_digestible_emails_are_held_not_sent_while_in_app_is_unaffected(
    digests: Digests,
) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    assert await digests.states("p") == {"digest": 3}
    summary = await digests.worker.run_once(digests.clock.now)
    assert summary.sent == 0
    assert digests.sender.sent == []
    rows = await digests.db.fetchall("SELECT kind FROM notifications WHERE recipient_id = 'p'")
    assert sorted(str(r["kind"]) for r in rows) == ["message", "reminder", "request_answered"]


async def test_new_requests_and_account_emails_are_not_held(digests: Digests) -> None:
    await _digest_person(digests)
    await digests.apply(MatchRequested(match_id="r1", mentee_id="x", mentor_id="p", message="hi",
                                       expires_at=DAY + timedelta(days=14)))  # fmt: skip
    await digests.apply(AccountPasswordResetRequested(account_id="p", email="p@example.gov.uk",
                                                      display_name="Pat", sealed_token=SEALER.seal("t"),
                                                      expires_at=DAY + timedelta(days=1)))  # fmt: skip
    assert await digests.states("p") == {"pending": 2}
    assert (await digests.worker.run_once(digests.clock.now)).sent == 2
    assert sorted(j.kind for j in digests.sender.sent) == ["password_reset", "request_received"]


async def test_one_digest_email_at_the_hour_lists_every_held_item_with_its_link(
    digests: Digests,
) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    digests.clock.now = DAY.replace(hour=6, minute=59)
    assert (await digests.worker.run_once(digests.clock.now)).sent == 0
    digests.clock.now = DAY.replace(hour=7, minute=0, second=3)
    summary = await digests.worker.run_once(digests.clock.now)
    assert summary.sent == 1
    (email,) = digests.sender.sent
    assert email.id == digest_job_id("p", DAY.date())
    assert email.kind == "digest"
    assert email.to_address == "p@example.gov.uk"
    assert email.subject == "Your Mentor Match daily summary"
    assert "You have 3 updates" in email.text
    for link in (
        "http://web.test/conversations/c1",
        "http://web.test/matches/m1",
        "http://web.test/matches/m2",
    ):
        assert link in email.text
        assert f'href="{link}"' in email.html
    assert email.html.count("<li ") == 3
    assert await digests.states("p") == {"digested": 3, "sent": 1}
    account_id, kind = read_unsubscribe_token(SECRET, email.unsubscribe_url.split("token=")[1])
    assert (account_id, kind) == ("p", "digest")
    outbox = await digests.db.fetchall("SELECT payload FROM outbox WHERE topic = 'notification'")
    assert any(b'"channel":"email"' in bytes(r["payload"]) for r in outbox)


async def test_a_second_run_the_same_day_creates_no_second_digest(digests: Digests) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    digests.clock.now = DAY.replace(hour=8)
    await digests.worker.run_once(digests.clock.now)
    # A restarted process (a fresh worker) runs the digest step again the same day.
    again = DeliveryWorker(
        digests.uow,
        digests.sender,
        NoPoster(),
        DeliveryConfig(mail_from="x@test", digest_hour_utc=7),
        notify_config=CONFIG,
        clock=digests.clock,
    )
    await digests.apply(MatchEnded(match_id="m1", mentee_id="p", mentor_id="mentor",
                                   ended_by="mentor"))  # fmt: skip
    digests.clock.now = DAY.replace(hour=15)
    assert await again.digest_if_due(digests.clock.now) == 0
    await again.run_once(digests.clock.now)
    assert len(digests.sender.sent) == 1
    # What arrived after today's digest waits for tomorrow's.
    assert await digests.states("p") == {"digested": 3, "sent": 1, "digest": 1}
    digests.clock.now = DAY.replace(hour=7) + timedelta(days=1)
    await again.run_once(digests.clock.now)
    assert len(digests.sender.sent) == 2
    assert "You have 1 update " in digests.sender.sent[1].text


async def test_turning_the_digest_off_releases_held_emails_for_sending_now(
    digests: Digests,
) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    await commands.update_preferences(digests.uow(), "p", channels={}, daily_digest=False)
    assert await digests.states("p") == {"pending": 3}
    assert (await digests.worker.run_once(digests.clock.now)).sent == 3
    assert sorted(j.kind for j in digests.sender.sent) == [
        "message",
        "reminder",
        "request_answered",
    ]


async def _three_held_then_messages_switched_to_in_app(d: Digests) -> None:
    await _digest_person(d)
    await _three_things_happen(d)
    await commands.update_preferences(
        d.uow(), "p", channels={"message": "in_app"}, daily_digest=None
    )


async def test_turning_the_digest_off_sends_no_email_of_a_kind_switched_off_meanwhile(
    digests: Digests,
) -> None:
    await _three_held_then_messages_switched_to_in_app(digests)
    await commands.update_preferences(digests.uow(), "p", channels={}, daily_digest=False)
    assert await digests.states("p") == {"pending": 2, "suppressed": 1}
    assert (await digests.worker.run_once(digests.clock.now)).sent == 2
    assert sorted(j.kind for j in digests.sender.sent) == ["reminder", "request_answered"]


async def test_a_kind_switched_to_in_app_meanwhile_is_left_out_of_the_digest(
    digests: Digests,
) -> None:
    await _three_held_then_messages_switched_to_in_app(digests)
    digests.clock.now = DAY.replace(hour=7)
    await digests.worker.run_once(digests.clock.now)
    (email,) = digests.sender.sent
    assert "You have 2 updates" in email.text
    assert "conversations/c1" not in email.text
    assert await digests.states("p") == {"digested": 2, "sent": 1, "suppressed": 1}


async def test_erasure_removes_held_emails(digests: Digests) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    await digests.apply(ProfileDeleted(profile_id="p"), "p")
    assert await digests.states("p") == {}
    digests.clock.now = DAY.replace(hour=7)
    await digests.worker.run_once(digests.clock.now)
    assert digests.sender.sent == []


async def test_the_digest_unsubscribe_link_stops_every_digestible_kind(digests: Digests) -> None:
    await _digest_person(digests)
    token = CONFIG.unsubscribe_url("p", "digest").split("token=")[1]
    assert await commands.unsubscribe(digests.uow(), SECRET, token) == "digest"
    preferences = await commands.get_preferences(digests.uow(), "p")
    assert {k: preferences.channel_for(k) for k in ("message", "request_received")} == {
        "message": "in_app",
        "request_received": "email",
    }


async def test_the_digest_arrives_through_a_real_smtp_server_as_text_and_html(
    digests: Digests, smtp_sink: SmtpSink
) -> None:
    await _digest_person(digests)
    await _three_things_happen(digests)
    worker = DeliveryWorker(
        digests.uow,
        SmtpEmailSender("127.0.0.1", smtp_sink.port),
        NoPoster(),
        DeliveryConfig(mail_from="Mentor Match <no-reply@test>", digest_hour_utc=7),
        notify_config=CONFIG,
        clock=digests.clock,
    )
    digests.clock.now = DAY.replace(hour=7, minute=1)
    assert (await worker.run_once(digests.clock.now)).sent == 1
    (message,) = smtp_sink.to("p@example.gov.uk")
    assert message["Subject"] == "Your Mentor Match daily summary"
    assert message["List-Unsubscribe"].startswith("<http://api.test/v1/unsubscribe?token=")
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert "* New message from" in plain.get_content()
    assert html.get_content().count('<li style="margin-bottom: 5px;">') == 3


async def test_an_email_held_with_a_calendar_entry_goes_on_its_own_with_it(
    digests: Digests,
) -> None:
    """A confirmation held before entries were kept out of digests: the digest
    would drop its entry, so it is sent by itself; the rest are digested."""
    await _digest_person(digests)
    await _three_things_happen(digests)
    await digests.apply(SessionScheduled(session_id="s1", conversation_id="c1", match_id="m1",
                                         proposer_id="p", other_id="x", status="confirmed",
                                         starts_at=DAY + timedelta(days=2), duration_minutes=30,
                                         sequence=1, actor_id="x"))  # fmt: skip
    rows = await digests.db.fetchall("SELECT id FROM email_jobs WHERE kind = 'session'")
    async with digests.uow() as uow:
        (held,) = [await uow.email_jobs.get(str(r["id"])) for r in rows]
        assert held is not None
        assert held.attachments
        held.hold_for_digest()  # as an earlier version did
        await uow.email_jobs.save(held)
        await uow.commit()
    assert await digests.states("p") == {"digest": 4}
    digests.clock.now = DAY.replace(hour=7)
    assert (await digests.worker.run_once(digests.clock.now)).sent == 2
    by_kind = {email.kind: email for email in digests.sender.sent}
    assert sorted(by_kind) == ["digest", "session"]
    assert [a.filename for a in by_kind["session"].attachments] == ["session.ics"]
    assert "You have 3 updates" in by_kind["digest"].text
