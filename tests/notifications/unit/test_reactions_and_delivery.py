"""Event reactions and the delivery worker on a real SQLite file and a real SMTP server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import (
    AccountRegistered,
    AccountVerificationRequested,
    MatchAccepted,
    MatchRequested,
    MessageSent,
    ProfileDeleted,
    ProfileUpserted,
    Roles,
    SessionScheduled,
)
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.consumers import make_event_handler
from notifications_service.domain.model import Notification, RetryPolicy, new_webhook_secret
from notifications_service.service import commands
from notifications_service.service.delivery import (
    DeliveryConfig,
    DeliveryWorker,
    webhook_headers,
)
from notifications_service.service.notify import NotifyConfig
from notifications_service.service.ports import DeliveryError
from tests.notifications.conftest import SmtpSink
from tests.sealing import SEALER

SECRET = "unit-test-unsubscribe-secret"
MAIL_FROM = "Mentor Match <no-reply@mentor-match.test>"
CONFIG = NotifyConfig(
    public_url="http://web.test",
    api_url="http://api.test",
    unsubscribe_secret=SECRET,
    mail_from=MAIL_FROM,
)


@dataclass
class Harness:
    db: SqliteDatabase
    live: list[Notification]

    def uow(self) -> SqliteNotificationsUnitOfWork:
        return SqliteNotificationsUnitOfWork(self.db, CommitHooks(on_commit=self.live.extend))

    async def apply(self, event: Envelope) -> bool:
        """What the consumer runner does: inbox, handler, commit in one transaction."""
        handler = make_event_handler(CONFIG, SEALER)
        async with self.uow() as uow:
            if not await uow.record_inbox("notifications", str(event.id)):
                return False
            await handler(event, uow)
            await uow.commit()
        return True

    async def rows(self, sql: str, *params: object) -> list[dict[str, object]]:
        return [dict(r) for r in await self.db.fetchall(sql, params)]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = await SqliteDatabase(tmp_path / "n.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        yield Harness(db, [])
    finally:
        await db.close()


def ev(payload: object, subject: str = "s") -> Envelope:
    return new_event(payload, subject=subject, source="test")  # type: ignore[arg-type]


def profile(pid: str, name: str, **extra: object) -> Envelope:
    return ev(
        ProfileUpserted(
            profile_id=pid,
            version=int(extra.pop("version", 1)),  # type: ignore[call-overload]
            display_name=name,
            initials=name[:1],
            roles=Roles(mentee=True),
            **extra,
        ),
        pid,
    )


def registered(pid: str, email: str, name: str) -> Envelope:
    return ev(AccountRegistered(account_id=pid, email=email, display_name=name), pid)


def verification(pid: str, email: str, token: str) -> Envelope:
    return ev(
        AccountVerificationRequested(
            account_id=pid,
            email=email,
            display_name="Ada",
            sealed_token=SEALER.seal(token),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        ),
        pid,
    )


def worker(harness: Harness, sender: object, **config: object) -> DeliveryWorker:
    return DeliveryWorker(
        harness.uow,
        sender,  # type: ignore[arg-type]
        FailingPoster(),
        DeliveryConfig(mail_from=MAIL_FROM, **config),  # type: ignore[arg-type]
    )


class FailingPoster:
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        raise DeliveryError("unreachable")


async def test_verification_event_queues_an_email_with_the_link(harness: Harness) -> None:
    await harness.apply(verification("a1", "ada@example.gov.uk", "tok-123"))
    jobs = await harness.rows("SELECT * FROM email_jobs")
    assert len(jobs) == 1
    assert jobs[0]["state"] == "pending"
    assert jobs[0]["to_address"] == "ada@example.gov.uk"
    assert "http://web.test/verify?token=tok-123" in str(jobs[0]["text"])
    assert "http://web.test/verify?token=tok-123" in str(jobs[0]["html"])
    # Account emails are email only: nothing in the in-app list.
    assert await harness.rows("SELECT * FROM notifications") == []


async def test_same_event_handled_twice_gives_one_notification_and_one_email(
    harness: Harness,
) -> None:
    await harness.apply(registered("mentor", "m@example.gov.uk", "Mo"))
    event = ev(
        MatchRequested(
            match_id="m1",
            mentee_id="mentee",
            mentor_id="mentor",
            message="hello",
            expires_at=datetime.now(UTC) + timedelta(days=14),
        )
    )
    assert await harness.apply(event)
    assert not await harness.apply(event)
    # Even without the inbox (a second consumer group, a restored inbox), ids derive from the event.
    handler = make_event_handler(CONFIG, SEALER)
    async with harness.uow() as uow:
        await handler(event, uow)
        await uow.commit()
    assert len(await harness.rows("SELECT * FROM notifications")) == 1
    assert len(await harness.rows("SELECT * FROM email_jobs")) == 1
    assert len(harness.live) == 1


async def test_messages_email_once_an_hour_per_conversation_but_always_in_app(
    harness: Harness,
) -> None:
    await harness.apply(registered("r", "r@example.gov.uk", "Rae"))
    start = datetime.now(UTC)
    for minutes, conversation in ((0, "c1"), (10, "c1"), (30, "c2"), (61, "c1")):
        await harness.apply(
            ev(
                MessageSent(
                    conversation_id=conversation,
                    message_id=f"msg-{minutes}",
                    sender_id="s",
                    recipient_id="r",
                    sent_at=start + timedelta(minutes=minutes),
                )
            )
        )
    assert len(await harness.rows("SELECT * FROM notifications WHERE recipient_id = 'r'")) == 4
    jobs = await harness.rows("SELECT throttle_key FROM email_jobs ORDER BY created_at")
    assert [j["throttle_key"] for j in jobs] == [
        "conversation:c1",
        "conversation:c2",
        "conversation:c1",
    ]


async def test_email_not_wanted_is_logged_as_suppressed(harness: Harness) -> None:
    await harness.apply(registered("r", "r@example.gov.uk", "Rae"))
    await commands.update_preferences(
        harness.uow(), "r", channels={"message": "in_app"}, daily_digest=True
    )
    await harness.apply(
        ev(
            MessageSent(
                conversation_id="c",
                message_id="m",
                sender_id="s",
                recipient_id="r",
                sent_at=datetime.now(UTC),
            )
        )
    )
    jobs = await harness.rows("SELECT state, last_error FROM email_jobs")
    assert jobs == [{"state": "suppressed", "last_error": "preference"}]
    assert len(await harness.rows("SELECT * FROM notifications")) == 1
    assert (await commands.get_preferences(harness.uow(), "r")).daily_digest is True


async def test_profile_deleted_erases_notifications_preferences_address_and_jobs(
    harness: Harness,
) -> None:
    await harness.apply(registered("p", "p@example.gov.uk", "Pat"))
    await harness.apply(profile("p", "Pat"))
    await commands.update_preferences(
        harness.uow(), "p", channels={"reminder": "off"}, daily_digest=None
    )
    await harness.apply(
        ev(MessageSent(conversation_id="c", message_id="m", sender_id="x", recipient_id="p",
                       sent_at=datetime.now(UTC)))
    )  # fmt: skip
    await harness.apply(ev(ProfileDeleted(profile_id="p"), "p"))
    for table, column in (
        ("notifications", "recipient_id"),
        ("email_jobs", "recipient_id"),
        ("preferences", "account_id"),
        ("contacts", "account_id"),
        ("profile_cards", "profile_id"),
    ):
        assert await harness.rows(f"SELECT * FROM {table} WHERE {column} = 'p'") == [], table


async def test_match_event_publishes_anonymised_mentee_facts_only(harness: Harness) -> None:
    await harness.apply(
        profile(
            "mentee",
            "Mina Patel",
            department="HMRC",
            grade="HEO",
            profession="Policy",
            region="Wales",
        )
    )
    await harness.apply(profile("mentor", "Tom Jones", department="DfE", grade="G6"))
    await harness.apply(ev(MatchAccepted(match_id="m1", mentee_id="mentee", mentor_id="mentor"), "m1"))  # fmt: skip
    rows = await harness.rows("SELECT key, payload FROM outbox WHERE topic = 'public.match-events'")
    assert len(rows) == 1
    envelope = Envelope.model_validate_json(rows[0]["payload"])  # type: ignore[arg-type]
    assert envelope.data["department"] == "HMRC"
    assert envelope.data["grade_band"] == "middle"
    raw = bytes(rows[0]["payload"]).decode() + str(rows[0]["key"])  # type: ignore[call-overload]
    for secret in ("mentee", "mentor", "m1", "Mina", "Tom", "DfE"):
        assert secret not in raw


async def test_confirmed_session_email_carries_a_calendar_invitation(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await harness.apply(registered("prop", "prop@example.gov.uk", "Pru"))
    await harness.apply(profile("other", "Oli"))
    starts = datetime(2026, 5, 6, 14, 0, tzinfo=UTC)
    await harness.apply(
        ev(SessionScheduled(session_id="sess1", conversation_id="c", match_id="m", proposer_id="prop",
                            other_id="other", status="confirmed", starts_at=starts,
                            duration_minutes=60, location="Teams"))
    )  # fmt: skip
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    summary = await worker(harness, sender).run_once()
    assert summary.sent == 1
    (message,) = smtp_sink.messages
    assert message["To"] == "prop@example.gov.uk"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://api.test/v1/unsubscribe?token=")
    calendars = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    ics = calendars[0].get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "UID:session-sess1@mentor-match" in ics
    assert "DTSTART:20260506T140000Z" in ics
    body = message.get_body(("plain",))
    assert body is not None
    assert "Oli confirmed your session" in body.get_content()
    outbox = await harness.rows("SELECT payload FROM outbox WHERE topic = 'notification'")
    channels = [json.loads(bytes(r["payload"]))["data"]["channel"] for r in outbox]  # type: ignore[call-overload]
    assert channels.count("email") == 1


async def test_smtp_failures_back_off_and_give_up_after_the_last_attempt(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    await harness.apply(verification("a", "a@example.gov.uk", "t"))
    smtp_sink.stop()
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port, timeout_s=2)
    w = worker(harness, sender, email_retry=RetryPolicy(max_attempts=3, base_s=10, max_s=100))
    now = datetime.now(UTC)
    first = await w.run_once(now)
    assert first.retried == 1
    (job,) = await harness.rows("SELECT state, attempts, next_attempt_at FROM email_jobs")
    assert job["state"] == "pending"
    assert job["attempts"] == 1
    assert float(job["next_attempt_at"]) >= now.timestamp() + 9  # type: ignore[arg-type]
    assert (await w.run_once(now + timedelta(seconds=5))).retried == 0  # not due yet
    await w.run_once(now + timedelta(seconds=11))
    last = await w.run_once(now + timedelta(seconds=40))
    assert last.failed == 1
    (job,) = await harness.rows("SELECT state, attempts FROM email_jobs")
    assert job == {"state": "failed", "attempts": 3}


def test_webhook_headers_follow_standard_webhooks() -> None:
    secret = new_webhook_secret()
    body = b'{"type":"match.accepted"}'
    headers = webhook_headers(secret, "msg_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers) == {"type": "match.accepted"}
    assert headers["webhook-id"] == "msg_1"
    # A secret registered before the service made them is used as its bytes.
    legacy = "k" * 16
    old_headers = webhook_headers(legacy, "msg_2", datetime.now(UTC), body)
    assert Webhook(legacy.encode()).verify(body, old_headers) == {"type": "match.accepted"}
