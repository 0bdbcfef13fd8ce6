"""Notifications' step "session emails held for the digest go now", on both stores.

Earlier versions held session emails for the daily digest, which drops their
calendar entry; after the upgrade those still held are sent at once, on their
own, unless the person has switched session emails off meanwhile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mentor_shared.clock import utc_now
from mentor_shared.storage.migrations import migrate_mongo, migrate_sqlite
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.records import EMAIL_JOB, MONGO, PREFERENCES
from notifications_service.adapters.sqlite_repository import SqliteNotificationsUnitOfWork
from notifications_service.domain.model import Attachment, EmailJob, Preferences
from tests.migrations.sqlite_files import ladder_of

CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LADDER = ladder_of("notifications")
ENTRY = Attachment("session.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\n")


def held(job_id: str, kind: str, attachments: list[Attachment], recipient: str) -> EmailJob:
    job = EmailJob(
        id=job_id,
        recipient_id=recipient,
        kind=kind,  # type: ignore[arg-type]
        to_address=f"{recipient}@example.gov.uk",
        subject=job_id,
        text="text",
        html="<p>html</p>",
        unsubscribe_url="http://api.test/v1/unsubscribe?token=t",
        created_at=CREATED,
        attachments=attachments,
    )
    job.hold_for_digest()
    return job


HELD = [
    held("confirmation", "session", [ENTRY], "p"),
    held("message", "message", [], "p"),
    # Switched session emails off while the confirmation was held.
    held("unwanted", "session", [ENTRY], "q"),
]
SWITCHED_OFF = Preferences("q", {"session": "in_app"}, daily_digest=True)


def assert_released_unless_unwanted(jobs: dict[str, EmailJob], before: datetime) -> None:
    confirmation, message, unwanted = jobs["confirmation"], jobs["message"], jobs["unwanted"]
    assert confirmation.state == "pending"
    assert confirmation.next_attempt_at is not None
    assert confirmation.next_attempt_at >= before.replace(microsecond=0)
    assert confirmation.attachments == [ENTRY]
    assert (message.state, message.next_attempt_at) == ("digest", None)
    assert (unwanted.state, unwanted.last_error) == ("suppressed", "preference")
    assert unwanted.attachments == []


async def test_on_sqlite_held_session_emails_go_at_once_unless_no_longer_wanted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notifications.sqlite3"
    migrate_sqlite(path, LADDER, target=LADDER.target - 1)
    db = await SqliteDatabase(path).open()
    try:
        async with SqliteNotificationsUnitOfWork(db) as uow:
            for job in HELD:
                await uow.email_jobs.add(job)
            await uow.preferences.save(SWITCHED_OFF)
            await uow.commit()
    finally:
        await db.close()

    before = utc_now()
    migrate_sqlite(path, LADDER)

    db = await SqliteDatabase(path).open()
    try:
        async with SqliteNotificationsUnitOfWork(db) as uow:
            jobs = {job.id: await uow.email_jobs.get(job.id) for job in HELD}
    finally:
        await db.close()
    assert_released_unless_unwanted({k: v for k, v in jobs.items() if v is not None}, before)


async def test_on_mongodb_held_session_emails_go_at_once_unless_no_longer_wanted(
    database: Any,
) -> None:
    await migrate_mongo(database, LADDER, target=LADDER.target - 1)
    await database.email_jobs.insert_many([EMAIL_JOB.record(job, MONGO) for job in HELD])
    await database.preferences.insert_one(PREFERENCES.record(SWITCHED_OFF, MONGO))

    before = utc_now()
    await migrate_mongo(database, LADDER)

    jobs = {
        document["_id"]: EMAIL_JOB.read(document, MONGO)
        async for document in database.email_jobs.find()
    }
    assert_released_unless_unwanted(jobs, before)
