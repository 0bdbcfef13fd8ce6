"""Test helpers: a real SQLite store and profile events for the matching service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from matching_service.adapters.sqlite_read_model import SqliteMatchingReadModel
from matching_service.adapters.sqlite_repository import SQLITE_SCHEMA, SqliteMatchingUnitOfWork
from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.erasure import ERASED_SQL
from mentor_shared.events.schemas import ProfileUpserted, Roles
from mentor_shared.limits import LIMITS_SQL
from mentor_shared.storage.sqlite import SqliteDatabase


def upserted(profile_id: str | None = None, *, version: int = 1, **fields: Any) -> ProfileUpserted:
    """A ``profile.upserted`` payload: a remote-friendly mentor with capacity 2 by default."""
    roles = fields.pop("roles", {"mentor": True})
    values: dict[str, Any] = {
        "profile_id": profile_id or f"person-{uuid.uuid4()}",
        "version": version,
        "display_name": "Alex Example",
        "initials": "AE",
        "roles": Roles(**roles),
        "capacity": 2,
        "department": "HMRC",
        "grade": "G7",
        **fields,
    }
    return ProfileUpserted(**values)


def mentee(profile_id: str | None = None, **fields: Any) -> ProfileUpserted:
    """A mentee at HEO with goals."""
    values: dict[str, Any] = {
        "roles": {"mentee": True},
        "capacity": 0,
        "grade": "HEO",
        "goals_text": "I want to get better at stakeholder management and influencing.",
        **fields,
    }
    return upserted(profile_id, **values)


class Store:
    """The matching tables and the bus tables in one SQLite file."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self.read = SqliteMatchingReadModel(db)

    def uow(self) -> SqliteMatchingUnitOfWork:
        return SqliteMatchingUnitOfWork(self.db)

    async def outbox_types(self) -> list[str]:
        rows = await self.db.fetchall("SELECT headers FROM outbox ORDER BY seq")
        import json

        return [json.loads(row["headers"])["event_type"] for row in rows]


@asynccontextmanager
async def open_store(path: Path) -> AsyncIterator[Store]:
    db = await SqliteDatabase(path, [BUS_SCHEMA, LIMITS_SQL, ERASED_SQL, *SQLITE_SCHEMA]).open()
    try:
        yield Store(db)
    finally:
        await db.close()
