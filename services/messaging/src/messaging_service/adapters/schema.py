"""The messaging service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder
from messaging_service.adapters.mongo_repository import ensure_messaging_indexes
from messaging_service.adapters.sqlite_repository import SQLITE_SCHEMA

LADDER = Ladder(
    "messaging",
    [
        baseline_step(SQLITE_SCHEMA, ensure_messaging_indexes),
        OUTBOX_LANES,
    ],
)
