"""SQLite connections for the embedded default store (one file per service, WAL).

One writer connection serialised by an asyncio lock (SQLite has a single writer
anyway) and one reader connection; WAL lets reads proceed during a write.

The writer runs its statements on the event loop's own thread. A write
transaction is a handful of small statements that each take microseconds in
WAL mode with ``synchronous=NORMAL`` (a commit appends to the WAL in the page
cache, no fsync), while a hop to a connection thread and back costs more than
the statement itself and makes the two threads fight over the GIL: measured on
the messaging service, the hops were a third of its CPU. The one step that waits
on the disk, the WAL checkpoint, is taken away from the writer
(``wal_autocheckpoint=0``) and run by a background task on a worker thread,
holding the write lock: SQLite before 3.51.3 (Debian's is 3.40) has a race
between a checkpoint and a commit on another connection that resets the WAL
(the "WAL-reset bug"), after which readers can see old pages and committed
writes can be lost. A checkpoint never overlaps a write transaction here.
Reads outside transactions, which can be large (a rebuild reads every row), stay
on aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite
import structlog

log = structlog.get_logger(__name__)

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    # Deleted rows' bytes are zeroed, not left in free pages: an erasure must not
    # survive in the file (a small write cost, measured in docs/operations.md).
    "PRAGMA secure_delete=ON",
)


CHECKPOINT_BUSY_TIMEOUT_S = 10.0
"""How long a checkpoint waits for readers still on old pages before it reports busy."""

TRUNCATE_ATTEMPTS = 2
"""How often :meth:`SqliteDatabase.truncate_wal` tries (each waiting up to the busy
timeout for readers) before it gives up and says so."""


class SqliteBusy(Exception):
    """A checkpoint that had to complete could not, because readers kept using old pages."""


CHECKPOINT_INTERVAL_S = 0.2
"""How often committed writes are checkpointed. Writes wait while a checkpoint runs
(about 1.5 ms plus 0.03 ms per transaction since the last one, measured), so short
intervals keep every wait short; an interval without commits costs nothing."""


class Cursor:
    """The result of a statement on the writer: rows are already in memory."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        """Rows changed by an INSERT, UPDATE or DELETE."""
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        """Row id of the last inserted row."""
        return self._cursor.lastrowid

    async def fetchone(self) -> sqlite3.Row | None:
        """The next row, or None."""
        row: sqlite3.Row | None = self._cursor.fetchone()
        return row

    async def fetchall(self) -> list[sqlite3.Row]:
        """Every remaining row."""
        return list(self._cursor.fetchall())

    async def close(self) -> None:
        """Release the statement."""
        self._cursor.close()


class Statement:
    """A statement run on first use: ``await`` it or use it as ``async with``."""

    def __init__(self, run: Callable[[], sqlite3.Cursor]) -> None:
        self._run = run
        self._cursor: Cursor | None = None

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._open().__await__()

    async def _open(self) -> Cursor:
        self._cursor = Cursor(self._run())
        return self._cursor

    async def __aenter__(self) -> Cursor:
        return await self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class Connection:
    """The writer connection, used only from the event loop's thread.

    Offers the part of aiosqlite's interface the adapters use, so a repository
    reads the same whichever connection it is handed.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Statement:
        """Run one statement."""
        return Statement(lambda: self._conn.execute(sql, parameters))

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> Statement:
        """Run one statement for every parameter set."""
        return Statement(lambda: self._conn.executemany(sql, parameters))

    async def executescript(self, script: str) -> None:
        """Run several statements (schema DDL)."""
        self._conn.executescript(script)

    async def close(self) -> None:
        """Close the connection."""
        self._conn.close()


class SqliteDatabase:
    """A service's SQLite file: write transactions, reads.

    Services bring the file's schema to their ladder's version before opening it
    (:mod:`mentor_shared.storage.migrations`); ``schema`` is idempotent DDL run at
    open, for tests and tools that need tables without a ladder.
    """

    def __init__(self, path: Path | str, schema: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._schema = list(schema)
        self._writer: Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self._checkpointer: asyncio.Task[None] | None = None
        self._checkpoint_conn: sqlite3.Connection | None = None
        self._commits_since_checkpoint = 0
        self.commit_listeners: list[asyncio.Event] = []

    async def open(self) -> SqliteDatabase:
        """Open both connections and run ``schema`` (idempotent DDL), if any."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = sqlite3.connect(self.path, isolation_level=None)
        writer.row_factory = sqlite3.Row
        for pragma in (*PRAGMAS, "PRAGMA wal_autocheckpoint=0"):
            writer.execute(pragma)
        self._writer = Connection(writer)
        for statement in self._schema:
            await self._writer.executescript(statement)
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        self._reader.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await self._reader.execute(pragma)
        # Used on worker threads, one at a time (under the write lock).
        self._checkpoint_conn = sqlite3.connect(
            self.path, timeout=CHECKPOINT_BUSY_TIMEOUT_S, check_same_thread=False
        )
        self._checkpointer = asyncio.create_task(self._checkpoint_forever())
        log.info("sqlite_opened", path=str(self.path))
        return self

    async def close(self) -> None:
        """Stop checkpointing, checkpoint once more and close the connections."""
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
            await self.checkpoint()
        if self._checkpoint_conn is not None:
            self._checkpoint_conn.close()
            self._checkpoint_conn = None
        if self._reader is not None:
            await self._reader.close()
        if self._writer is not None:
            await self._writer.close()
        self._reader = self._writer = None

    async def _checkpoint_forever(self) -> None:
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL_S)
            if not self._commits_since_checkpoint:
                continue
            try:
                await self.checkpoint()
            except sqlite3.Error as exc:
                # The next round retries; the WAL only grows meanwhile.
                log.warning("sqlite_checkpoint_failed", path=str(self.path), error=str(exc))

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file, between write transactions.

        Reads go on meanwhile; writes wait.
        """
        if self._checkpoint_conn is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            run = asyncio.ensure_future(asyncio.to_thread(self._checkpoint))
            try:
                await asyncio.shield(run)
            except asyncio.CancelledError:
                # Keep the lock until the thread is done (close() cancels this task).
                await asyncio.wait([run])
                raise
            self._commits_since_checkpoint = 0

    def _checkpoint(self, mode: str = "PASSIVE") -> bool:
        """One checkpoint; False when a reader kept it from completing."""
        assert self._checkpoint_conn is not None
        busy, _, _ = self._checkpoint_conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        return not busy

    async def truncate_wal(self) -> None:
        """Checkpoint and empty the WAL file, so no old page of a deleted row stays in it.

        Called after an erasure commits. Waits for readers that still use old pages
        (up to the busy timeout); the WAL is then truncated to zero bytes.
        """
        if self._checkpoint_conn is None:
            raise RuntimeError("database is not open")
        for attempt in range(TRUNCATE_ATTEMPTS):
            async with self._write_lock:
                if await asyncio.to_thread(self._checkpoint, "TRUNCATE"):
                    self._commits_since_checkpoint = 0
                    return
            # A reader still uses old pages: let it finish, then try again.
            await asyncio.sleep(0.1 * (attempt + 1))
        raise SqliteBusy(
            f"the WAL of {self.path.name} could not be truncated: readers kept it busy"
        )

    async def begin(self) -> Connection:
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
            self._commits_since_checkpoint += 1
            for listener in self.commit_listeners:
                listener.set()
        # The writer's statements never suspend, so a loop of transactions would
        # otherwise keep every other task (HTTP requests too) waiting.
        await asyncio.sleep(0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
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
        # One trip to the reader's thread (execute and fetch together, no cursor left to
        # close), not three: each trip is a thread hand-off a busy interpreter can delay.
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> bool:
        """Whether the file answers a trivial query (for /readyz)."""
        row = await self.fetchone("SELECT 1")
        return row is not None
