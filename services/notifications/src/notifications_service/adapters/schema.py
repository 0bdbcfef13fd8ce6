"""The notifications service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder, Step, add_column
from notifications_service.adapters.mongo_repository import ensure_indexes
from notifications_service.adapters.sqlite_repository import SQLITE_SCHEMA

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
    ],
)
