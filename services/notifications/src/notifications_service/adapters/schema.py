"""The notifications service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

import sqlite3

from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.clock import to_epoch, utc_now
from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Document, Ladder, Step, add_column
from notifications_service.adapters.mongo_repository import ensure_indexes
from notifications_service.adapters.sqlite_repository import SQLITE_SCHEMA


def _release_held_calendar_emails_sqlite(conn: sqlite3.Connection) -> None:
    conn.execute(
        "UPDATE email_jobs SET state = 'pending', next_attempt_at = ? "
        "WHERE state = 'digest' AND attachments != '[]'",
        (to_epoch(utc_now()),),
    )


async def _release_held_calendar_emails_mongo(db: AsyncDatabase[Document]) -> None:
    await db.email_jobs.update_many(
        {"state": "digest", "attachments.0": {"$exists": True}},
        {"$set": {"state": "pending", "next_attempt_at": utc_now()}},
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
        # their calendar entry: those still held go now, on their own, with it.
        Step(
            "session emails held for the digest go now",
            sqlite=[_release_held_calendar_emails_sqlite],
            mongo=[_release_held_calendar_emails_mongo],
        ),
    ],
)
