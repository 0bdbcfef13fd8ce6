"""Abuse limits counted in the service's own store, so every replica sees one count.

A limit is a number of attempts per fixed window (``Limit``), counted per key (an
account id, a hashed address, a client address). The count lives in the service's
store: a SQLite row updated by the single writer, or a MongoDB document updated
with an atomic ``$inc``; never in process memory, so three replicas hold the same
limit as one.

Fixed windows let up to twice the limit through across a window boundary; for
doors whose limit is small (sign-in, emails) that is the documented price of one
atomic upsert per attempt instead of a log of every attempt.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mentor_shared.storage.sqlite import SqliteDatabase
from mentor_shared.web.errors import TooManyRequests

LIMITS_SQL = """
CREATE TABLE IF NOT EXISTS rate_limits (
    name TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start REAL NOT NULL,
    expires_at REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (name, key)
);
CREATE INDEX IF NOT EXISTS rate_limits_expiry ON rate_limits (expires_at);
"""

PURGE_EVERY = 500
"""SQLite: one hit in this many also deletes the counters whose window has passed."""

Clock = Callable[[], float]


@dataclass(frozen=True)
class Limit:
    """At most ``count`` attempts per ``window_s`` seconds, counted per key."""

    name: str
    count: int
    window_s: float


class RateLimiter(Protocol):
    """Counts attempts against limits; shared by every replica of a service."""

    async def hit(self, limit: Limit, key: str) -> float | None:
        """Count one attempt.

        Returns:
            None when the attempt is within the limit, otherwise the seconds until
            the next attempt will be.
        """

    async def reset(self, limit: Limit, key: str) -> None:
        """Forget the attempts counted for ``key`` (after a successful sign-in, say)."""


def key_digest(text: str) -> str:
    """A stable digest of a key; the limiters store only these, so no counter names
    an address, an IP or even an account id in clear."""
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()[:32]


async def enforce(limiter: RateLimiter, limit: Limit, key: str, *, message: str) -> None:
    """Count an attempt; raise 429 with ``Retry-After`` when it is over the limit."""
    wait = await limiter.hit(limit, key)
    if wait is not None:
        raise TooManyRequests(message, code="rate_limited", retry_after_s=math.ceil(wait))


def _window_start(limit: Limit, now: float) -> float:
    return now - (now % limit.window_s)


class SqliteRateLimiter:
    """Counters in the service's SQLite file (table ``rate_limits``)."""

    def __init__(self, db: SqliteDatabase, clock: Clock = time.time) -> None:
        self._db = db
        self._clock = clock
        self._hits = 0

    async def hit(self, limit: Limit, key: str) -> float | None:
        """Count one attempt in its own write transaction."""
        now = self._clock()
        start = _window_start(limit, now)
        self._hits += 1
        async with self._db.transaction() as conn:
            if self._hits % PURGE_EVERY == 0:
                await conn.execute("DELETE FROM rate_limits WHERE expires_at < ?", (now,))
            cursor = await conn.execute(
                "INSERT INTO rate_limits (name, key, window_start, expires_at, count) "
                "VALUES (?, ?, ?, ?, 1) "
                "ON CONFLICT (name, key) DO UPDATE SET "
                "count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END, "
                "window_start = excluded.window_start, expires_at = excluded.expires_at "
                "RETURNING count",
                (limit.name, key_digest(key), start, start + limit.window_s),
            )
            row = await cursor.fetchone()
        assert row is not None
        return None if row[0] <= limit.count else start + limit.window_s - now

    async def reset(self, limit: Limit, key: str) -> None:
        """Delete the counter."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "DELETE FROM rate_limits WHERE name = ? AND key = ?",
                (limit.name, key_digest(key)),
            )

    async def purge(self) -> int:
        """Delete every counter whose window has passed (also done every few hundred hits)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM rate_limits WHERE expires_at < ?", (self._clock(),)
            )
            return cursor.rowcount


class MongoRateLimiter:
    """Counters in the service's MongoDB database (collection ``rate_limits``)."""

    def __init__(self, db: Any, clock: Clock = time.time) -> None:
        self._collection = db["rate_limits"]
        self._clock = clock

    async def hit(self, limit: Limit, key: str) -> float | None:
        """Count one attempt with one atomic upsert per window."""
        now = self._clock()
        start = _window_start(limit, now)
        document = await self._collection.find_one_and_update(
            {"_id": f"{limit.name}:{key_digest(key)}:{start}"},
            # A date, not a number: MongoDB's TTL index removes only documents whose
            # field is a date.
            {
                "$inc": {"count": 1},
                "$setOnInsert": {"expires_at": datetime.fromtimestamp(start + limit.window_s, UTC)},
            },
            upsert=True,
            return_document=True,
        )
        return None if document["count"] <= limit.count else start + limit.window_s - now

    async def reset(self, limit: Limit, key: str) -> None:
        """Delete the current window's counter."""
        start = _window_start(limit, self._clock())
        await self._collection.delete_one({"_id": f"{limit.name}:{key_digest(key)}:{start}"})
