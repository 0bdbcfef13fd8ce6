"""One contract for every notifications store adapter: SQLite here, MongoDB where reachable."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.storage.migrations import migrate_sqlite
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.schema import LADDER
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.domain.checkins import CheckIn
from notifications_service.domain.model import (
    Attachment,
    Contact,
    EmailJob,
    Notification,
    Preferences,
    ProfileCard,
    Subscription,
    WebhookDelivery,
)
from notifications_service.service.ports import NotificationsUnitOfWork

# Whole seconds: both stores keep at least millisecond precision.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

NewUow = Callable[[], NotificationsUnitOfWork]


def _job(job_id: str, recipient: str = "r", **fields: Any) -> EmailJob:
    values: dict[str, Any] = {
        "id": job_id,
        "recipient_id": recipient,
        "kind": "message",
        "to_address": f"{recipient}@example.gov.uk",
        "subject": "New message",
        "text": "text",
        "html": "<p>html</p>",
        "unsubscribe_url": "http://api.test/v1/unsubscribe?token=t",
        "created_at": NOW,
        "next_attempt_at": NOW,
    }
    values.update(fields)
    return EmailJob(**values)


def _notification(nid: str, recipient: str = "r", minutes: int = 0) -> Notification:
    return Notification(
        id=nid,
        recipient_id=recipient,
        kind="message",
        title=f"title {nid}",
        body="body",
        link="http://web.test/x",
        created_at=NOW + timedelta(minutes=minutes),
    )


def _delivery(did: str, subscription_id: str, seconds: int = 0) -> WebhookDelivery:
    at = NOW + timedelta(seconds=seconds)
    return WebhookDelivery(
        id=did, subscription_id=subscription_id, body="{}", created_at=at, next_attempt_at=at
    )


class NotificationsStoreContract:
    """Subclasses provide ``new_uow``: a factory of units of work on a fresh store."""

    async def test_leaving_without_commit_rolls_back(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            await uow.contacts.upsert(Contact("a", "a@example.gov.uk", "Ada"))
            await uow.notifications.add(_notification("n1", "a"))
        async with new_uow() as uow:
            assert await uow.contacts.get("a") is None
            assert await uow.notifications.get("n1") is None

    async def test_contacts_upsert_keeps_verified_once_set_and_delete(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            await uow.contacts.upsert(Contact("a", "a@example.gov.uk", "Ada"))
            await uow.contacts.mark_verified("a")
            await uow.contacts.upsert(Contact("a", "new@example.gov.uk", "Ada L"))
            await uow.contacts.mark_verified("nobody")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.contacts.get("a") == Contact("a", "new@example.gov.uk", "Ada L", True)
            assert await uow.contacts.get("nobody") is None
            await uow.contacts.delete("a")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.contacts.get("a") is None

    async def test_check_ins_add_once_answer_once_and_aggregate_by_round(
        self, new_uow: NewUow
    ) -> None:
        def item(cid: str, recipient: str, round_: int, minutes: int = 0) -> CheckIn:
            return CheckIn(cid, recipient, "m", "c", round_, NOW + timedelta(minutes=minutes))

        async with new_uow() as uow:
            assert await uow.checkins.add(item("k1", "a", 3))
            assert await uow.checkins.add(item("k2", "a", 6, minutes=5))
            assert await uow.checkins.add(item("k3", "b", 3))
            assert not await uow.checkins.add(item("k1", "a", 6))
            await uow.commit()
        answered = item("k1", "a", 3)
        answered.rating, answered.comment = 4, "Fine"
        answered.answered_at = NOW + timedelta(hours=1)
        async with new_uow() as uow:
            assert await uow.checkins.answer(answered)
            assert not await uow.checkins.answer(answered)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.checkins.get("k1") == answered
            assert await uow.checkins.get("nope") is None
            assert [c.id for c in await uow.checkins.for_recipient("a")] == ["k2", "k1"]
            assert await uow.checkins.round_figures(3) == (2, [4])
            assert await uow.checkins.round_figures(6) == (1, [])
            assert await uow.checkins.delete_for("a") == 2
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.checkins.for_recipient("a") == []
            assert await uow.checkins.round_figures(3) == (1, [])

    async def test_cards_keep_the_newest_version(self, new_uow: NewUow) -> None:
        card = ProfileCard("p", 2, "Pat", "HMRC", "Policy", "HEO", "Wales")
        async with new_uow() as uow:
            assert await uow.cards.upsert(card)
            assert not await uow.cards.upsert(ProfileCard("p", 1, "Old"))
            assert not await uow.cards.upsert(ProfileCard("p", 2, "Same version"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.cards.get("p") == card
            assert await uow.cards.upsert(ProfileCard("p", 3, "Pat New"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.cards.get("p") == ProfileCard("p", 3, "Pat New")
            await uow.cards.delete("p")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.cards.get("p") is None

    async def test_notifications_add_once_read_once_and_page_newest_first(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            for i in range(5):
                assert await uow.notifications.add(_notification(f"n{i}", "r", minutes=i))
            assert not await uow.notifications.add(_notification("n0", "r", minutes=9))
            await uow.notifications.add(_notification("other", "someone-else"))
            await uow.commit()
        read_at = NOW + timedelta(hours=1)
        async with new_uow() as uow:
            assert await uow.notifications.get("n0") == _notification("n0", "r")
            await uow.notifications.mark_read("n3", read_at)
            await uow.notifications.mark_read("n3", read_at + timedelta(hours=1))
            await uow.commit()
        async with new_uow() as uow:
            n3 = await uow.notifications.get("n3")
            assert n3 is not None
            assert n3.read_at == read_at
            first = await uow.notifications.page("r", before=None, limit=2)
            assert [n.id for n in first.items] == ["n4", "n3"]
            assert first.unread == 4
            assert first.next_cursor == (NOW + timedelta(minutes=3), "n3")
            second = await uow.notifications.page("r", before=first.next_cursor, limit=2)
            assert [n.id for n in second.items] == ["n2", "n1"]
            last = await uow.notifications.page("r", before=second.next_cursor, limit=2)
            assert [n.id for n in last.items] == ["n0"]
            assert last.next_cursor is None

    async def test_notifications_with_the_same_time_page_by_id(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            for nid in ("a", "b", "c"):
                await uow.notifications.add(_notification(nid, "r"))
            await uow.commit()
        async with new_uow() as uow:
            first = await uow.notifications.page("r", before=None, limit=2)
            assert [n.id for n in first.items] == ["c", "b"]
            rest = await uow.notifications.page("r", before=first.next_cursor, limit=2)
            assert [n.id for n in rest.items] == ["a"]

    async def test_preferences_default_round_trip_and_delete(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            assert await uow.preferences.get("p") == Preferences("p")
            await uow.preferences.save(
                Preferences("p", channels={"message": "in_app", "reminder": "off"})
            )
            await uow.commit()
        async with new_uow() as uow:
            stored = await uow.preferences.get("p")
            assert stored == Preferences("p", channels={"message": "in_app", "reminder": "off"})
            stored.daily_digest = True
            await uow.preferences.save(stored)
            await uow.commit()
        async with new_uow() as uow:
            assert (await uow.preferences.get("p")).daily_digest is True
            await uow.preferences.delete("p")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.preferences.get("p") == Preferences("p")

    async def test_email_jobs_round_trip_every_field_and_add_once(self, new_uow: NewUow) -> None:
        job = _job(
            "j1",
            kind="session",
            throttle_key="conversation:c",
            notification_id="n1",
            personalisation={"name": "Pat", "action_url": "http://web.test/x"},
            attachments=[Attachment("invite.ics", "text/calendar", b"BEGIN:VCALENDAR\r\n")],
            trace_context='{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}',
        )
        async with new_uow() as uow:
            assert await uow.email_jobs.add(job)
            assert not await uow.email_jobs.add(_job("j1", subject="changed"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.get("j1") == job
            assert await uow.email_jobs.get("missing") is None

    async def test_email_jobs_claim_due_leases_and_save_records_the_outcome(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            await uow.email_jobs.add(_job("due-2", next_attempt_at=NOW - timedelta(seconds=2)))
            await uow.email_jobs.add(_job("due-1", next_attempt_at=NOW - timedelta(seconds=1)))
            await uow.email_jobs.add(_job("due-0", next_attempt_at=NOW))
            await uow.email_jobs.add(_job("later", next_attempt_at=NOW + timedelta(minutes=1)))
            await uow.email_jobs.add(_job("sent", state="sent", next_attempt_at=None))
            await uow.email_jobs.add(_job("held", state="digest", next_attempt_at=None))
            await uow.commit()
        lease_until = NOW + timedelta(minutes=2)
        async with new_uow() as uow:
            claimed = await uow.email_jobs.claim_due(NOW, 2, lease_until)
            assert [j.id for j in claimed] == ["due-2", "due-1"]
            await uow.commit()
        async with new_uow() as uow:
            assert [j.id for j in await uow.email_jobs.claim_due(NOW, 10, lease_until)] == ["due-0"]
            await uow.commit()
        async with new_uow() as uow:
            # Everything due is leased now; "later" is not due yet.
            assert (
                await uow.email_jobs.claim_due(NOW + timedelta(seconds=30), 10, lease_until) == []
            )
            leased = await uow.email_jobs.get("due-2")
            assert leased is not None
            assert leased.next_attempt_at == lease_until
        async with new_uow() as uow:
            after_lease = await uow.email_jobs.claim_due(lease_until, 10, lease_until)
            assert sorted(j.id for j in after_lease) == ["due-0", "due-1", "due-2", "later"]
            job = after_lease[0]
            job.to_address = "changed@example.gov.uk"
            job.record_success(lease_until)
            await uow.email_jobs.save(job)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.get(job.id) == job
            counts = await uow.email_jobs.count_by_state()
            assert counts == {"pending": 3, "sent": 2, "digest": 1}

    async def test_saving_an_erased_job_does_not_bring_it_back(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            await uow.email_jobs.add(_job("j", "gone"))
            await uow.commit()
        async with new_uow() as uow:
            (job,) = await uow.email_jobs.claim_due(NOW, 10, NOW + timedelta(minutes=2))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.delete_for("gone") == 1
            await uow.commit()
        job.record_success(NOW)
        async with new_uow() as uow:
            await uow.email_jobs.save(job)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.get("j") is None

    async def test_emailed_since_counts_queued_sent_and_held_emails_only(
        self, new_uow: NewUow
    ) -> None:
        key = "conversation:c"
        async with new_uow() as uow:
            await uow.email_jobs.add(_job("old", throttle_key=key, created_at=NOW - timedelta(hours=2)))  # fmt: skip
            await uow.email_jobs.add(_job("refused", throttle_key=key, state="suppressed"))
            await uow.email_jobs.add(_job("broken", throttle_key=key, state="failed"))
            await uow.commit()
        since = NOW - timedelta(hours=1)
        async with new_uow() as uow:
            assert not await uow.email_jobs.emailed_since("r", key, since)
            assert await uow.email_jobs.emailed_since("r", key, NOW - timedelta(hours=3))
        for state in ("pending", "sent", "digest", "digested"):
            async with new_uow() as uow:
                await uow.email_jobs.add(_job(state, "p-" + state, throttle_key=key, state=state))
                await uow.commit()
            async with new_uow() as uow:
                assert await uow.email_jobs.emailed_since("p-" + state, key, since), state
                assert not await uow.email_jobs.emailed_since("p-" + state, "other", since)

    async def test_held_emails_are_listed_per_person_and_released(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            await uow.email_jobs.add(_job("b2", "b", state="digest", next_attempt_at=None,
                                          created_at=NOW + timedelta(seconds=2)))  # fmt: skip
            await uow.email_jobs.add(_job("b1", "b", state="digest", next_attempt_at=None))
            await uow.email_jobs.add(_job("a1", "a", state="digest", next_attempt_at=None))
            await uow.email_jobs.add(_job("a-sent", "a", state="sent", next_attempt_at=None))
            await uow.email_jobs.add(_job("c1", "c", state="digested", next_attempt_at=None))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.held_recipients(10) == ["a", "b"]
            assert await uow.email_jobs.held_recipients(1) == ["a"]
            assert [j.id for j in await uow.email_jobs.held_for("b")] == ["b1", "b2"]
            assert await uow.email_jobs.held_for("c") == []
            released_at = NOW + timedelta(hours=1)
            for job in await uow.email_jobs.held_for("b"):
                job.leave_digest(Preferences("b"), released_at)
                await uow.email_jobs.save(job)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.email_jobs.held_recipients(10) == ["a"]
            b1 = await uow.email_jobs.get("b1")
            assert b1 is not None
            assert (b1.state, b1.next_attempt_at) == ("pending", released_at)
            assert await uow.email_jobs.held_for("b") == []

    async def test_erasure_removes_only_that_persons_rows(self, new_uow: NewUow) -> None:
        async with new_uow() as uow:
            for person in ("gone", "stays"):
                await uow.notifications.add(_notification(f"n-{person}-1", person))
                await uow.notifications.add(_notification(f"n-{person}-2", person, minutes=1))
                await uow.email_jobs.add(_job(f"j-{person}", person))
                await uow.email_jobs.add(_job(f"h-{person}", person, state="digest"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.notifications.delete_for("gone") == 2
            assert await uow.email_jobs.delete_for("gone") == 2
            await uow.commit()
        async with new_uow() as uow:
            assert (await uow.notifications.page("gone", before=None, limit=10)).items == []
            assert await uow.email_jobs.get("j-gone") is None
            assert await uow.email_jobs.held_for("gone") == []
            assert len((await uow.notifications.page("stays", before=None, limit=10)).items) == 2
            assert [j.id for j in await uow.email_jobs.held_for("stays")] == ["h-stays"]

    async def test_subscriptions_list_get_and_delete_with_pending_deliveries(
        self, new_uow: NewUow
    ) -> None:
        first = Subscription("s1", "https://a.test/hook", "s" * 16, NOW, "HMRC", ["accepted"])
        second = Subscription("s2", "https://b.test/hook", "t" * 16, NOW + timedelta(seconds=1))
        async with new_uow() as uow:
            await uow.subscriptions.add(second)
            await uow.subscriptions.add(first)
            await uow.webhook_deliveries.add(_delivery("d-pending", "s1"))
            done = _delivery("d-done", "s1", seconds=1)
            done.record_success(NOW)
            await uow.webhook_deliveries.add(done)
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.subscriptions.list() == [first, second]
            assert await uow.subscriptions.get("s2") == second
            assert await uow.subscriptions.get("missing") is None
            assert await uow.subscriptions.delete("s1")
            assert not await uow.subscriptions.delete("s1")
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.subscriptions.list() == [second]
            assert [d.id for d in await uow.webhook_deliveries.for_subscription("s1")] == ["d-done"]

    async def test_webhook_deliveries_add_once_claim_with_a_lease_and_save(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            await uow.subscriptions.add(Subscription("s", "https://a.test", "s" * 16, NOW))
            assert await uow.webhook_deliveries.add(_delivery("d1", "s", seconds=-2))
            assert await uow.webhook_deliveries.add(_delivery("d2", "s", seconds=-1))
            assert await uow.webhook_deliveries.add(_delivery("d3", "s", seconds=60))
            assert not await uow.webhook_deliveries.add(_delivery("d1", "s"))
            await uow.commit()
        lease_until = NOW + timedelta(minutes=2)
        async with new_uow() as uow:
            claimed = await uow.webhook_deliveries.claim_due(NOW, 10, lease_until)
            assert [d.id for d in claimed] == ["d1", "d2"]
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.webhook_deliveries.claim_due(NOW, 10, lease_until) == []
            first, second = claimed
            first.record_success(NOW)
            second.record_failure(NOW, "status 500", _policy())
            await uow.webhook_deliveries.save(first)
            await uow.webhook_deliveries.save(second)
            await uow.commit()
        async with new_uow() as uow:
            stored = await uow.webhook_deliveries.for_subscription("s")
            assert [d.id for d in stored] == ["d1", "d2", "d3"]
            assert stored[0] == first
            assert stored[1] == second
            assert (stored[1].state, stored[1].attempts) == ("pending", 1)

    async def test_erasure_support_erased_ids_subject_deliveries_and_name_replacement(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            assert not await uow.erased.contains("p")
            await uow.subscriptions.add(Subscription("s", "https://a.test", "s" * 16, NOW))
            assert await uow.webhook_deliveries.add(_delivery("d-p", "s"), subject_id="p")
            assert await uow.webhook_deliveries.add(_delivery("d-q", "s"), subject_id="q")
            assert await uow.webhook_deliveries.add(_delivery("d-none", "s"))
            await uow.notifications.add(_notification("n1", "r"))
            note = _notification("n2", "r")
            note.title, note.body = "Pat Quinn wrote", "From Pat Quinn"
            await uow.notifications.add(note)
            await uow.email_jobs.add(
                _job("j1", subject="New message from Pat Quinn", text="Pat Quinn said",
                     html="<p>Pat Quinn</p>", personalisation={"name": "Pat Quinn"},
                     attachments=[Attachment("a.ics", "text/calendar", b"with Pat Quinn")])
            )  # fmt: skip
            await uow.email_jobs.add(_job("j2", "r", subject="Other"))
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.webhook_deliveries.delete_for_subject("p") == 1
            assert await uow.notifications.replace_text("Pat Quinn", "Someone") == 1
            assert await uow.email_jobs.replace_text("Pat Quinn", "Someone") == 1
            await uow.erased.mark("p")
            await uow.erased.mark("p")  # twice is once
            await uow.commit()
        async with new_uow() as uow:
            assert await uow.erased.contains("p")
            assert not await uow.erased.contains("q")
            left = [d.id for d in await uow.webhook_deliveries.for_subscription("s")]
            assert left == ["d-q", "d-none"]
            note = await uow.notifications.get("n2")
            assert note is not None
            assert (note.title, note.body) == ("Someone wrote", "From Someone")
            job = await uow.email_jobs.get("j1")
            assert job is not None
            assert (job.subject, job.text, job.html) == (
                "New message from Someone",
                "Someone said",
                "<p>Someone</p>",
            )
            assert job.personalisation == {"name": "Someone"}
            assert job.attachments[0].content == b"with Someone"
            assert [j.id for j in await uow.email_jobs.for_recipient("r")] == ["j1", "j2"]
            assert await uow.email_jobs.for_recipient("nobody") == []

    async def test_a_saved_job_and_delivery_keep_their_emptied_content(
        self, new_uow: NewUow
    ) -> None:
        async with new_uow() as uow:
            await uow.email_jobs.add(_job("j", personalisation={"name": "Ada"},
                                          attachments=[Attachment("a", "text/plain", b"x")]))  # fmt: skip
            await uow.subscriptions.add(Subscription("s", "https://a.test", "s" * 16, NOW))
            await uow.webhook_deliveries.add(_delivery("d", "s"), subject_id="p")
            await uow.commit()
        async with new_uow() as uow:
            job = await uow.email_jobs.get("j")
            assert job is not None
            job.record_success(NOW)
            await uow.email_jobs.save(job)
            (delivery,) = await uow.webhook_deliveries.for_subscription("s")
            delivery.record_success(NOW)
            await uow.webhook_deliveries.save(delivery)
            await uow.commit()
        async with new_uow() as uow:
            job = await uow.email_jobs.get("j")
            assert job is not None
            assert (job.state, job.subject) == ("sent", "New message")
            assert (job.to_address, job.text, job.html, job.unsubscribe_url) == ("", "", "", "")
            assert (job.personalisation, job.attachments) == ({}, [])
            (delivery,) = await uow.webhook_deliveries.for_subscription("s")
            assert (delivery.state, delivery.body) == ("delivered", "")
            # Delivered: it no longer says whose event it was, so erasure leaves it.
            assert await uow.webhook_deliveries.delete_for_subject("p") == 0


def _policy() -> Any:
    from notifications_service.domain.model import RetryPolicy

    return RetryPolicy(max_attempts=3, base_s=10, max_s=100)


class TestSqliteStore(NotificationsStoreContract):
    @pytest.fixture
    async def new_uow(self, tmp_path: Path) -> AsyncIterator[NewUow]:
        db = await SqliteDatabase(tmp_path / "c.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
        yield lambda: SqliteNotificationsUnitOfWork(db)
        await db.close()


class TestMongoStore(NotificationsStoreContract):
    @pytest.fixture
    async def new_uow(self, mongodb_uri: str) -> AsyncIterator[NewUow]:
        from mentor_shared.bus.mongo_store import ensure_bus_indexes
        from mentor_shared.storage.mongo import mongo_client
        from notifications_service.adapters.mongo_repository import (
            MongoNotificationsUnitOfWork,
            ensure_indexes,
        )

        client: Any = mongo_client(mongodb_uri)
        name = f"notifications_contract_{uuid.uuid4().hex[:8]}"
        db = client[name]
        await ensure_bus_indexes(db)
        await ensure_indexes(db)
        yield lambda: MongoNotificationsUnitOfWork(client, name)
        await client.drop_database(name)
        await client.close()


async def test_a_file_made_before_trace_contexts_keeps_its_jobs_and_stores_new_contexts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    before = [
        BUS_SCHEMA,
        *(s.replace(",\n        trace_context TEXT\n", "\n") for s in SQLITE_SCHEMA),
    ]
    assert before[1] != SQLITE_SCHEMA[0], "the earlier email_jobs table has no trace_context"
    old = await SqliteDatabase(path, before).open()
    async with SqliteNotificationsUnitOfWork(old) as uow:
        await uow.conn.execute(
            "INSERT INTO email_jobs (id, recipient_id, kind, to_address, subject, text, html, "
            "unsubscribe_url, created_at, state) VALUES ('old', 'r', 'message', 'r@example.gov.uk', "
            "'New message', 'text', '<p>html</p>', 'http://api.test/u', ?, 'pending')",
            (NOW.timestamp(),),
        )
        await uow.commit()
    await old.close()

    migrate_sqlite(path, LADDER)
    migrate_sqlite(path, LADDER)  # a second start changes nothing
    db = await SqliteDatabase(path).open()
    try:
        traced = _job("new", trace_context='{"traceparent":"00-ab-cd-01"}')
        async with SqliteNotificationsUnitOfWork(db) as uow:
            assert await uow.email_jobs.add(traced)
            await uow.commit()
        async with SqliteNotificationsUnitOfWork(db) as uow:
            kept = await uow.email_jobs.get("old")
            assert await uow.email_jobs.get("new") == traced
    finally:
        await db.close()
    assert kept is not None
    assert kept.subject == "New message"
    assert kept.trace_context is None
