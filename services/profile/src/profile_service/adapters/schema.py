"""The profile service's schema ladder, for SQLite and MongoDB.

A schema change is a new step at the end of ``LADDER`` (docs/operations.md,
"Schema versions"); a step that has shipped is never edited.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.schema import OUTBOX_LANES, baseline_step
from mentor_shared.storage.migrations import Ladder, Step
from profile_service.adapters.mongo_repository import MongoProfileUnitOfWork
from profile_service.adapters.sqlite_repository import INVITATIONS_SQL, SQLITE_SCHEMA


async def _drop_sign_in_failures(db: AsyncDatabase[dict[str, Any]]) -> None:
    await db.drop_collection("sign_in_failures")


LADDER = Ladder(
    "profile",
    [
        baseline_step(SQLITE_SCHEMA, MongoProfileUnitOfWork.ensure_indexes),
        # Sign-in failures are counted by the shared rate limiter now; this table
        # held addresses in clear, so it goes rather than lingering.
        Step(
            "drop sign_in_failures (addresses in clear)",
            sqlite=["DROP TABLE IF EXISTS sign_in_failures;"],
            mongo=[_drop_sign_in_failures],
        ),
        OUTBOX_LANES,
        Step(
            "coach imports and claim invitations",
            sqlite=[INVITATIONS_SQL],
            mongo=[MongoProfileUnitOfWork.ensure_invitation_indexes],
        ),
    ],
)
