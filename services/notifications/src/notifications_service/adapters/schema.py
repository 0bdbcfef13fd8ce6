"""The notifications service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

import sqlite3

from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.clock import utc_now
from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Document, Ladder, Step, add_column
from notifications_service.adapters.mongo_repository import ensure_indexes
from notifications_service.adapters.records import (
    EMAIL_JOB,
    EMAIL_OUTCOME,
    MONGO,
    PREFERENCES,
    SQLITE,
)
from notifications_service.adapters.sqlite_repository import SQLITE_SCHEMA
from notifications_service.domain.model import Preferences


def _release_held_calendar_emails_sqlite(conn: sqlite3.Connection) -> None:
    now = utc_now()
    rows = conn.cursor()
    rows.row_factory = sqlite3.Row
    held = rows.execute(
        "SELECT * FROM email_jobs WHERE state = 'digest' AND attachments != '[]'"
    ).fetchall()
    for row in held:
        job = EMAIL_JOB.read(dict(row), SQLITE)
        stored = rows.execute(
            "SELECT * FROM preferences WHERE account_id = ?", (job.recipient_id,)
        ).fetchone()
        preferences = PREFERENCES.read(dict(stored), SQLITE) if stored else None
        job.leave_digest(preferences or Preferences(job.recipient_id), now)
        outcome = EMAIL_JOB.record(job, SQLITE, EMAIL_OUTCOME)
        assignments = ", ".join(f"{column} = ?" for column in outcome)
        conn.execute(
            f"UPDATE email_jobs SET {assignments} WHERE id = ?",  # noqa: S608 - our column names
            (*outcome.values(), job.id),
        )


async def _release_held_calendar_emails_mongo(db: AsyncDatabase[Document]) -> None:
    now = utc_now()
    held = db.email_jobs.find({"state": "digest", "attachments.0": {"$exists": True}})
    async for document in held:
        job = EMAIL_JOB.read(document, MONGO)
        stored = await db.preferences.find_one({"_id": job.recipient_id})
        preferences = PREFERENCES.read(stored, MONGO) if stored else None
        job.leave_digest(preferences or Preferences(job.recipient_id), now)
        await db.email_jobs.update_one(
            {"_id": job.id}, {"$set": EMAIL_JOB.record(job, MONGO, EMAIL_OUTCOME)}
        )


LADDER = Ladder(
    "notifications",
    [
        baseline_step(SQLITE_SCHEMA, ensure_indexes),
        # An email job keeps the trace context it was queued under, so the send
        # joins the trace of the request that caused it (docs/operations.md, Tracing).
        Step(
            "email_jobs.trace_context",
            sqlite=[add_column("email_jobs", "trace_context", "TEXT")],
        ),
        OUTBOX_LANES,
        # Earlier versions held session emails for the daily digest, which dropped
        # their calendar entry: those still held go now, on their own, with it
        # (or are suppressed if the person no longer wants session emails).
        Step(
            "session emails held for the digest go now",
            sqlite=[_release_held_calendar_emails_sqlite],
            mongo=[_release_held_calendar_emails_mongo],
        ),
    ],
)
