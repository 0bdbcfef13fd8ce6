"""The matching service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from matching_service.adapters.mongo_repository import ensure_matching_indexes
from matching_service.adapters.sqlite_repository import SQLITE_SCHEMA
from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder

LADDER = Ladder(
    "matching",
    [
        baseline_step(SQLITE_SCHEMA, ensure_matching_indexes),
        OUTBOX_LANES,
    ],
)
