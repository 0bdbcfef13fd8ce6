"""Notifications' step "session emails held for the digest go now", on SQLite.

Earlier versions held session emails for the daily digest, which drops their
calendar entry; after the upgrade those still held are sent at once, on their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mentor_shared.clock import utc_now
from mentor_shared.storage.migrations import migrate_sqlite
from mentor_shared.storage.sqlite import SqliteDatabase
from notifications_service.adapters.sqlite_repository import SqliteNotificationsUnitOfWork
from notifications_service.domain.model import Attachment, EmailJob
from tests.migrations.sqlite_files import ladder_of

CREATED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def held(job_id: str, kind: str, attachments: list[Attachment]) -> EmailJob:
    job = EmailJob(
        id=job_id,
        recipient_id="p",
        kind=kind,  # type: ignore[arg-type]
        to_address="p@example.gov.uk",
        subject=job_id,
        text="text",
        html="<p>html</p>",
        unsubscribe_url="http://api.test/v1/unsubscribe?token=t",
        created_at=CREATED,
        attachments=attachments,
    )
    job.hold_for_digest()
    return job


async def test_session_emails_an_earlier_version_held_go_at_once_and_the_rest_stay_held(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notifications.sqlite3"
    ladder = ladder_of("notifications")
    migrate_sqlite(path, ladder, target=ladder.target - 1)
    entry = Attachment("session.ics", "text/calendar; method=PUBLISH", b"BEGIN:VCALENDAR\r\n")
    db = await SqliteDatabase(path).open()
    try:
        async with SqliteNotificationsUnitOfWork(db) as uow:
            await uow.email_jobs.add(held("confirmation", "session", [entry]))
            await uow.email_jobs.add(held("message", "message", []))
            await uow.commit()
    finally:
        await db.close()

    before = utc_now()
    migrate_sqlite(path, ladder)

    db = await SqliteDatabase(path).open()
    try:
        async with SqliteNotificationsUnitOfWork(db) as uow:
            confirmation = await uow.email_jobs.get("confirmation")
            message = await uow.email_jobs.get("message")
    finally:
        await db.close()
    assert confirmation is not None
    assert message is not None
    assert confirmation.state == "pending"
    assert confirmation.next_attempt_at is not None
    assert confirmation.next_attempt_at >= before.replace(microsecond=0)
    assert confirmation.attachments == [entry]
    assert (message.state, message.next_attempt_at) == ("digest", None)
