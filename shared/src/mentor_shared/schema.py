"""The tables every service's store holds, and the baseline step of each service's ladder.

Outbox, inbox and partition marks (:mod:`mentor_shared.bus`), abuse-limit counters
(:mod:`mentor_shared.limits`) and erased ids (:mod:`mentor_shared.erasure`) live in
each service's own database beside its tables. Step 1 of every ladder makes them
together with the service's own schema, as it stood before versions existed.

A later change to these tables is one :class:`~mentor_shared.storage.migrations.Step`
defined here (or beside its table) and appended to each service's ladder
(``services/*/src/*_service/adapters/schema.py``); a test checks that the shared
tables come out the same in all four.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from mentor_shared.bus.mongo_store import ensure_bus_indexes, ensure_lane_index
from mentor_shared.bus.sqlite_store import BUS_SCHEMA, URGENT_INDEX_SQL
from mentor_shared.erasure import ERASED_SQL
from mentor_shared.limits import LIMITS_SQL
from mentor_shared.storage.migrations import MongoChange, Step, add_column

SHARED_SQLITE: tuple[str, ...] = (BUS_SCHEMA, LIMITS_SQL, ERASED_SQL)
"""DDL of the shared tables (idempotent)."""

BASELINE = "baseline: the schema before versions"


async def ensure_shared_indexes(db: AsyncDatabase[dict[str, Any]]) -> None:
    """Indexes of the shared collections (idempotent)."""
    await ensure_bus_indexes(db)
    # Counters clean themselves up once their window has passed.
    await db["rate_limits"].create_index("expires_at", expireAfterSeconds=0)


def baseline_step(sqlite: Sequence[str], mongo: MongoChange) -> Step:
    """Step 1 of a service's ladder: the shared tables and the service's own.

    Args:
        sqlite: The service's ``CREATE ... IF NOT EXISTS`` scripts.
        mongo: The service's index set-up (``create_index`` calls).
    """
    return Step(BASELINE, sqlite=(*SHARED_SQLITE, *sqlite), mongo=(ensure_shared_indexes, mongo))


OUTBOX_LANES = Step(
    "outbox lanes: transactional events before bulk ones",
    sqlite=[add_column("outbox", "lane", "INTEGER NOT NULL DEFAULT 0"), URGENT_INDEX_SQL],
    mongo=[ensure_lane_index],
)
"""Appended to every ladder: the outbox's ``lane`` (rows already there are transactional)."""
