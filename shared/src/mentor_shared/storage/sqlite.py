"""SQLite connections for the embedded default store (one file per service, WAL).

One writer connection serialised by an asyncio lock (SQLite has a single writer
anyway) and one reader connection; WAL lets reads proceed during a write.
aiosqlite runs each connection on its own thread, so the event loop never
blocks on disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
import structlog

log = structlog.get_logger(__name__)

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
)


class SqliteDatabase:
    """A service's SQLite file: schema migrations, write transactions, reads."""

    def __init__(self, path: Path | str, schema: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._schema = list(schema)
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self.commit_listeners: list[asyncio.Event] = []

    async def open(self) -> SqliteDatabase:
        """Open both connections and apply the schema (idempotent DDL)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        for statement in self._schema:
            await self._writer.executescript(statement)
        self._reader = await self._connect()
        log.info("sqlite_opened", path=str(self.path))
        return self

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await conn.execute(pragma)
        return conn

    async def close(self) -> None:
        """Close both connections."""
        for conn in (self._reader, self._writer):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = None

    async def begin(self) -> aiosqlite.Connection:
        """Start a write transaction (waits for the writer); pair with :meth:`end`."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        await self._write_lock.acquire()
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._write_lock.release()
            raise
        return self._writer

    async def end(self, *, commit: bool) -> None:
        """Commit or roll back the transaction :meth:`begin` started."""
        assert self._writer is not None
        try:
            await self._writer.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._write_lock.release()
        if commit:
            for listener in self.commit_listeners:
                listener.set()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction; commits on success, rolls back on any error."""
        conn = await self.begin()
        try:
            yield conn
        except BaseException:
            await self.end(commit=False)
            raise
        await self.end(commit=True)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """Rows of a read-only query on the reader connection."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        async with self._reader.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> bool:
        """Whether the file answers a trivial query (for /readyz)."""
        row = await self.fetchone("SELECT 1")
        return row is not None
