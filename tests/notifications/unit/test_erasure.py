"""Erasure in notifications, on a real SQLite file (with its WAL) and a real SMTP
server: nothing of the person stays in the bytes, nothing comes back on replay,
and rendered emails are kept only until sent.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.schemas import (
    AccountPasswordResetRequested,
    AccountRegistered,
    AccountVerificationRequested,
    MatchRequested,
    MatchWithdrawn,
    MessageSent,
    ProfileDeleted,
    ProfileUpserted,
    Roles,
)
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.adapters.unit_of_work import CommitHooks
from notifications_service.consumers import make_event_handler
from notifications_service.domain.model import Subscription, new_webhook_secret
from notifications_service.service import commands
from notifications_service.service.delivery import DeliveryConfig, DeliveryWorker
from notifications_service.service.notify import NotifyConfig
from notifications_service.service.ports import DeliveryError
from tests.notifications.conftest import SmtpSink
from tests.sealing import SEALER

CONFIG = NotifyConfig(
    public_url="http://web.test", api_url="http://api.test", unsubscribe_secret="s" * 32
)


@dataclass
class Store:
    db: SqliteDatabase
    path: Path
    erased: list[str]

    def uow(self) -> SqliteNotificationsUnitOfWork:
        return SqliteNotificationsUnitOfWork(
            self.db,
            CommitHooks(on_erased=self.erased.extend, after_erasure=self.db.truncate_wal),
        )

    async def apply(self, event: Envelope) -> None:
        """As the consumer runner does: inbox, handler and commit in one transaction."""
        async with self.uow() as uow:
            if await uow.record_inbox("notifications", str(event.id)):
                await make_event_handler(CONFIG, SEALER)(event, uow)
                await uow.commit()

    async def rows(self, sql: str, *params: object) -> list[dict[str, object]]:
        return [dict(r) for r in await self.db.fetchall(sql, params)]

    def file_bytes(self) -> bytes:
        """The database file and its WAL, as a copy of the data folder would hold them."""
        found = b""
        for suffix in ("", "-wal", "-journal"):
            file = Path(f"{self.path}{suffix}")
            if file.exists():
                found += file.read_bytes()
        return found


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    path = tmp_path / "notifications.sqlite3"
    db = await SqliteDatabase(path, [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        yield Store(db, path, [])
    finally:
        await db.close()


class NoPoster:
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        raise DeliveryError("no receiver in these tests")


def worker(store: Store, smtp: SmtpSink) -> DeliveryWorker:
    return DeliveryWorker(
        store.uow,
        SmtpEmailSender("127.0.0.1", smtp.port, timeout_s=5),
        NoPoster(),
        DeliveryConfig(mail_from="Mentor Match <no-reply@test>"),
    )


def ev(payload: object, subject: str) -> Envelope:
    return new_event(payload, subject=subject, source="test")  # type: ignore[arg-type]


@dataclass
class Person:
    id: str
    email: str
    name: str

    @classmethod
    def new(cls, first: str, last: str) -> Person:
        tag = uuid.uuid4().hex[:10]
        return cls(f"acct-{tag}", f"{first.lower()}.{tag}@example.gov.uk", f"{first} {last}")

    def registered(self) -> Envelope:
        return ev(AccountRegistered(account_id=self.id, email=self.email, display_name=self.name), self.id)  # fmt: skip

    def profile(self) -> Envelope:
        return ev(
            ProfileUpserted(profile_id=self.id, version=1, display_name=self.name,
                            initials=self.name[:1], roles=Roles(mentee=True, mentor=True),
                            department="DWP", grade="HEO", region="Wales"),
            self.id,
        )  # fmt: skip

    def verification(self, token: str) -> Envelope:
        return ev(
            AccountVerificationRequested(account_id=self.id, email=self.email,
                                         display_name=self.name, sealed_token=SEALER.seal(token),
                                         expires_at=datetime.now(UTC) + timedelta(days=1)),
            self.id,
        )  # fmt: skip


async def test_erasure_leaves_no_byte_of_the_person_and_replays_bring_nothing_back(
    store: Store, smtp_sink: SmtpSink
) -> None:
    pat = Person.new("Philippa", "Quennell-Erasmus")
    mo = Person.new("Morwenna", "Staying")
    token = f"tok-{uuid.uuid4().hex}"
    async with store.uow() as uow:
        await uow.subscriptions.add(
            Subscription(str(uuid.uuid4()), "https://hooks.example.org/", new_webhook_secret(),
                         datetime.now(UTC))
        )  # fmt: skip
        await uow.commit()
    request = ev(
        MatchRequested(match_id="m1", mentee_id=pat.id, mentor_id=mo.id, message="Hello",
                       expires_at=datetime.now(UTC) + timedelta(days=14)),
        pat.id,
    )  # fmt: skip
    message = ev(
        MessageSent(conversation_id="c1", message_id="x1", sender_id=mo.id, recipient_id=pat.id,
                    sent_at=datetime.now(UTC)),
        mo.id,
    )  # fmt: skip
    about_pat = [pat.registered(), pat.profile(), pat.verification(token), request, message]
    for event in (mo.registered(), mo.profile(), *about_pat):
        await store.apply(event)
    await commands.update_preferences(store.uow(), pat.id, channels={"reminder": "off"},
                                      daily_digest=None)  # fmt: skip
    assert (await worker(store, smtp_sink).run_once()).sent == 3
    # Still queued when the erasure comes: an email to the mentor naming the mentee.
    await store.apply(ev(MatchWithdrawn(match_id="m1", mentee_id=pat.id, mentor_id=mo.id), pat.id))
    assert await store.rows("SELECT * FROM webhook_deliveries")  # made of the mentee's events
    before = store.file_bytes()
    assert pat.email.encode() in before or pat.name.encode() in before
    # notification.sent about them, kept for re-publishing after a broker loss.
    assert await store.rows("SELECT * FROM outbox WHERE key = ?", pat.id)

    await store.apply(ev(ProfileDeleted(profile_id=pat.id), pat.id))

    assert store.erased == [pat.id]
    assert await store.rows("SELECT subject_id FROM erased_subjects") == [{"subject_id": pat.id}]
    for table, column in (
        ("notifications", "recipient_id"),
        ("email_jobs", "recipient_id"),
        ("preferences", "account_id"),
        ("contacts", "account_id"),
        ("profile_cards", "profile_id"),
        ("webhook_delivery_subjects", "subject_id"),
    ):
        assert await store.rows(f"SELECT * FROM {table} WHERE {column} = ?", pat.id) == [], table
    assert await store.rows("SELECT * FROM webhook_deliveries") == []
    assert await store.rows("SELECT * FROM outbox WHERE key = ?", pat.id) == []
    # The mentor keeps their notifications, without the mentee's name.
    titles = [r["title"] for r in await store.rows("SELECT title FROM notifications")]
    assert titles
    assert all(pat.name not in str(t) for t in titles)
    assert any(str(t).startswith("Someone") for t in titles)
    (queued,) = await store.rows("SELECT * FROM email_jobs WHERE state = 'pending'")
    assert "Someone" in str(queued["text"])

    def assert_forgotten() -> None:
        found = store.file_bytes()
        for value in (pat.email, pat.name, "Philippa", "Quennell", token):
            assert value.encode() not in found, value

    assert_forgotten()

    # Re-published events about them (an outbox replay, a consumer group reset):
    # each is new to the inbox, and still nothing is made.
    for event in about_pat:
        again = event.model_copy(update={"id": uuid.uuid4()})
        await store.apply(again)
    await store.apply(pat.registered().model_copy(update={"id": uuid.uuid4()}))
    await store.apply(
        ev(AccountPasswordResetRequested(account_id=pat.id, email=pat.email, display_name=pat.name,
                                         sealed_token=SEALER.seal(token),
                                         expires_at=datetime.now(UTC) + timedelta(hours=1)),
           pat.id)
    )  # fmt: skip
    await store.apply(ev(ProfileDeleted(profile_id=pat.id), pat.id))  # again: idempotent
    for table, column in (
        ("notifications", "recipient_id"),
        ("email_jobs", "recipient_id"),
        ("contacts", "account_id"),
        ("profile_cards", "profile_id"),
    ):
        assert await store.rows(f"SELECT * FROM {table} WHERE {column} = ?", pat.id) == [], table
    assert len(await store.rows("SELECT * FROM notifications WHERE recipient_id = ?", mo.id)) == 2
    assert await store.rows("SELECT * FROM webhook_deliveries") == []
    assert_forgotten()


async def test_preferences_of_an_erased_person_are_not_stored_again(store: Store) -> None:
    pat = Person.new("Pat", "Gone")
    await store.apply(pat.registered())
    await store.apply(ev(ProfileDeleted(profile_id=pat.id), pat.id))
    with pytest.raises(commands.PersonErased):
        await commands.update_preferences(store.uow(), pat.id, channels={"reminder": "off"},
                                          daily_digest=None)  # fmt: skip
    assert await store.rows("SELECT * FROM preferences") == []


async def test_rendered_emails_are_kept_only_until_sent(store: Store, smtp_sink: SmtpSink) -> None:
    ada = Person.new("Ada", "Lovelace")
    token = f"tok-{uuid.uuid4().hex}"
    await store.apply(ada.registered())
    await store.apply(ada.verification(token))
    (queued,) = await store.rows("SELECT * FROM email_jobs")
    assert token in str(queued["text"])

    assert (await worker(store, smtp_sink).run_once()).sent == 1

    (sent,) = smtp_sink.to(ada.email)
    assert token in str(sent.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    (logged,) = await store.rows("SELECT * FROM email_jobs")
    assert logged["state"] == "sent"
    assert logged["subject"] == "Confirm your email address"
    for column, empty in (
        ("text", ""),
        ("html", ""),
        ("to_address", ""),
        ("unsubscribe_url", ""),
        ("personalisation", "{}"),
        ("attachments", "[]"),
    ):
        assert logged[column] == empty, column
