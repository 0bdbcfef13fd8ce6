"""Erased people: a per-service set of erased ids (tombstones) and the token deny-list.

When a service handles an erasure (``profile.deleted``, or the profile service's own
deletion) it records the id here in the same transaction as the deletion. From then
on the service creates nothing for that id (its handlers check :func:`is_erased`),
and :mod:`mentor_shared.auth` refuses every token issued to it (401
``token_revoked``), so a stolen or still-valid token stops working within the
seconds the event takes to arrive.

The id is a random identifier with nothing else attached; keeping it is what lets a
replayed event be recognised as belonging to someone who asked to be forgotten.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from mentor_shared.storage.sqlite import Connection, SqliteDatabase

ERASED_SQL = """
CREATE TABLE IF NOT EXISTS erased_subjects (
    subject_id TEXT PRIMARY KEY,
    erased_at REAL NOT NULL
);
"""

COLLECTION = "erased_subjects"


class ErasedSubjects(Protocol):
    """Read side of a service's erased ids (used by the token check)."""

    async def contains(self, subject_id: str) -> bool:
        """Whether ``subject_id`` was erased."""


async def mark_erased_sqlite(conn: Connection, subject_id: str) -> None:
    """Record an erased id inside the caller's write transaction."""
    await conn.execute(
        "INSERT OR IGNORE INTO erased_subjects (subject_id, erased_at) VALUES (?, ?)",
        (subject_id, time.time()),
    )


async def is_erased_sqlite(conn: Connection | SqliteDatabase, subject_id: str) -> bool:
    """Whether ``subject_id`` was erased (inside a transaction or on the reader)."""
    sql = "SELECT 1 FROM erased_subjects WHERE subject_id = ?"
    if isinstance(conn, SqliteDatabase):
        return await conn.fetchone(sql, (subject_id,)) is not None
    cursor = await conn.execute(sql, (subject_id,))
    return await cursor.fetchone() is not None


async def mark_erased_mongo(db: Any, subject_id: str, *, session: Any) -> None:
    """Record an erased id inside the caller's MongoDB transaction."""
    await db[COLLECTION].update_one(
        {"_id": subject_id},
        {"$setOnInsert": {"erased_at": time.time()}},
        upsert=True,
        session=session,
    )


async def is_erased_mongo(db: Any, subject_id: str, *, session: Any = None) -> bool:
    """Whether ``subject_id`` was erased."""
    return await db[COLLECTION].find_one({"_id": subject_id}, session=session) is not None


class SqliteErasedSubjects:
    """Erased ids in the service's SQLite file."""

    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def contains(self, subject_id: str) -> bool:
        """One indexed read on the reader connection."""
        return await is_erased_sqlite(self._db, subject_id)


class MongoErasedSubjects:
    """Erased ids in the service's MongoDB database."""

    def __init__(self, db: Any) -> None:
        self._db = db

    async def contains(self, subject_id: str) -> bool:
        """One read by primary key."""
        return await is_erased_mongo(self._db, subject_id)
