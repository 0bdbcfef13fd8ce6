"""A versioned schema ladder per service, for SQLite and MongoDB.

Each service lists its schema as an ordered ladder of :class:`Step`; step ``n``
takes a database from version ``n - 1`` to ``n``. Step 1 is the schema as it was
before versions existed, written as idempotent ``CREATE ... IF NOT EXISTS`` and
``create_index`` calls, so a database made by that code (version 0, tables
already there) is adopted by running step 1 again: it only creates what is
missing. A change to the schema is a new step at the end of the list; a step
that has shipped is never edited.

Where the version lives:

- SQLite: ``PRAGMA user_version``. Each step runs in its own ``BEGIN IMMEDIATE``
  transaction together with the version bump, so two processes never both run a
  step (the second waits for the write lock, then sees the new version) and a
  crash leaves either the whole step or none of it.
- MongoDB: the ``schema_version`` collection, document ``_id = <service>``. A
  lock document (``_id = "<service>:lock"``) with an expiry keeps a second
  migrator waiting; a migrator that died frees it when it expires. MongoDB has
  no transactional DDL, so a crash between a step and its version bump runs the
  step again: every step must be safe to re-run.

Services run their ladder when they start (:mod:`mentor_shared.runtime`);
``mentor-match migrate`` runs it, or with ``--check`` only says what would run.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pymongo
import structlog
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

log = structlog.get_logger(__name__)

Document = dict[str, Any]

SqliteChange = str | Callable[[sqlite3.Connection], None]
"""A DDL script (statements separated by semicolons), or a function given the
connection inside the step's transaction (it must not commit)."""

MongoChange = Callable[[AsyncDatabase[Document]], Awaitable[None]]
"""A coroutine function given the service's database; it must be safe to re-run."""

VERSION_COLLECTION = "schema_version"
SQLITE_LOCK_WAIT_S = 60.0
"""How long a SQLite migrator waits for another one's step to commit."""
MONGO_LOCK_TTL_S = 600.0
"""A MongoDB lock not renewed for this long belongs to a migrator that died."""
MONGO_LOCK_WAIT_S = 660.0
"""How long a MongoDB migrator waits for the lock (longer than one expiry)."""
MONGO_LOCK_POLL_S = 0.5


class MigrationError(Exception):
    """The schema cannot be brought to the version this code expects."""


@dataclass(frozen=True)
class Step:
    """One rung of a ladder: a short name, its SQLite changes and its MongoDB changes.

    Either list may be empty (MongoDB needs nothing for a new column, for example).
    """

    name: str
    sqlite: Sequence[SqliteChange] = ()
    mongo: Sequence[MongoChange] = ()


@dataclass(frozen=True)
class Ladder:
    """A service's steps, in order: step ``n`` (1-based) makes version ``n``."""

    service: str
    steps: Sequence[Step]

    @property
    def target(self) -> int:
        """The version this code expects."""
        return len(self.steps)

    def numbered(self) -> Iterator[tuple[int, Step]]:
        """``(version, step)`` pairs, lowest first."""
        return enumerate(self.steps, start=1)


@dataclass(frozen=True)
class Plan:
    """Where one service's store stands against its ladder."""

    service: str
    store: str
    """``sqlite`` or ``mongodb``."""
    location: str
    """The SQLite file, or the MongoDB database name."""
    current: int
    target: int
    adopted: bool
    """The store holds tables but no version: made before versions existed."""
    pending: list[tuple[int, str]] = field(default_factory=list)
    """``(version, step name)`` of the steps that would run."""

    @property
    def ahead(self) -> bool:
        """The store was migrated by newer code than this."""
        return self.current > self.target


def _plan(ladder: Ladder, store: str, location: str, current: int, *, has_tables: bool) -> Plan:
    return Plan(
        service=ladder.service,
        store=store,
        location=location,
        current=current,
        target=ladder.target,
        adopted=current == 0 and has_tables,
        pending=[(v, step.name) for v, step in ladder.numbered() if v > current],
    )


def refuse_if_ahead(plan: Plan) -> None:
    """Raise :class:`MigrationError` when the store is newer than the code."""
    if plan.ahead:
        raise MigrationError(
            f"the {plan.service} {plan.store} store is at schema version {plan.current}, "
            f"newer than this code's {plan.target}: run the newer release"
        )


# -- SQLite -------------------------------------------------------------------


def sql_statements(script: str) -> list[str]:
    """Split a DDL script into statements (``executescript`` would commit the step)."""
    statements: list[str] = []
    current = ""
    for char in script:
        current += char
        if char == ";" and sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements


def sqlite_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The column names of ``table`` (none if it does not exist)."""
    return [row[0] for row in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))]


def add_column(table: str, column: str, declaration: str) -> SqliteChange:
    """A change that adds ``column`` to ``table`` unless it is there already.

    ``declaration`` is what follows the name in ``ALTER TABLE ... ADD COLUMN``,
    e.g. ``"TEXT"`` or ``"INTEGER NOT NULL DEFAULT 0"``.
    """

    def change(conn: sqlite3.Connection) -> None:
        if column not in sqlite_columns(conn, table):
            conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {declaration}')

    return change


def _sqlite_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _sqlite_has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchone()
    return bool(row[0])


def plan_sqlite(path: Path, ladder: Ladder) -> Plan:
    """What :func:`migrate_sqlite` would do to the file at ``path``; changes nothing."""
    if not path.exists():
        return _plan(ladder, "sqlite", str(path), 0, has_tables=False)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return _plan(
            ladder,
            "sqlite",
            str(path),
            _sqlite_version(conn),
            has_tables=_sqlite_has_tables(conn),
        )
    finally:
        conn.close()


def _run_sqlite_change(conn: sqlite3.Connection, change: SqliteChange) -> None:
    if isinstance(change, str):
        for statement in sql_statements(change):
            conn.execute(statement)
    else:
        change(conn)


def migrate_sqlite(
    path: Path, ladder: Ladder, *, target: int | None = None, wait_s: float = SQLITE_LOCK_WAIT_S
) -> Plan:
    """Bring the file at ``path`` to the ladder's version (or ``target``); made if missing.

    Returns:
        The plan as it stood before: what was found and the steps that ran.

    Raises:
        MigrationError: the file is at a newer version than the ladder knows.
        sqlite3.Error: a step failed; its transaction was rolled back.
    """
    upto = ladder.target if target is None else target
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=wait_s)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # As the services' own connections: a dropped table's rows are zeroed in the
        # file, not left in free pages (profile's step 2 drops addresses in clear).
        conn.execute("PRAGMA secure_delete=ON")
        before = _plan(
            ladder, "sqlite", str(path), _sqlite_version(conn), has_tables=_sqlite_has_tables(conn)
        )
        refuse_if_ahead(before)
        ran: list[tuple[int, str]] = []
        if before.current >= upto:
            # The usual start: nothing to do, no write lock taken.
            return replace(before, target=upto, pending=ran)
        for version, step in ladder.numbered():
            if version > upto:
                break
            # The write lock comes first: a second migrator waits here, then finds
            # the step done and skips it.
            conn.execute("BEGIN IMMEDIATE")
            try:
                if _sqlite_version(conn) >= version:
                    conn.execute("ROLLBACK")
                    continue
                started = time.perf_counter()
                for change in step.sqlite:
                    _run_sqlite_change(conn, change)
                conn.execute(f"PRAGMA user_version = {int(version)}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            ran.append((version, step.name))
            log.info(
                "schema_step_applied",
                service=ladder.service,
                store="sqlite",
                version=version,
                step=step.name,
                adopted=before.adopted and version == 1,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
        return replace(before, target=upto, pending=ran)
    finally:
        conn.close()


# -- MongoDB ------------------------------------------------------------------


async def _mongo_version(db: AsyncDatabase[Document], service: str) -> int:
    doc = await db[VERSION_COLLECTION].find_one({"_id": service})
    return int(doc["version"]) if doc else 0


async def _mongo_has_collections(db: AsyncDatabase[Document]) -> bool:
    names = await db.list_collection_names()
    return any(name != VERSION_COLLECTION and not name.startswith("system.") for name in names)


async def plan_mongo(db: AsyncDatabase[Document], ladder: Ladder) -> Plan:
    """What :func:`migrate_mongo` would do to ``db``; changes nothing."""
    return _plan(
        ladder,
        "mongodb",
        db.name,
        await _mongo_version(db, ladder.service),
        has_tables=await _mongo_has_collections(db),
    )


class MongoSchemaLock:
    """The lock document that lets one migrator at a time change a service's database."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        service: str,
        *,
        ttl_s: float = MONGO_LOCK_TTL_S,
        wait_s: float = MONGO_LOCK_WAIT_S,
    ) -> None:
        self._versions = db[VERSION_COLLECTION]
        self._id = f"{service}:lock"
        self.owner = uuid.uuid4().hex
        self._ttl_s = ttl_s
        self._wait_s = wait_s

    async def acquire(self) -> None:
        """Take the lock, waiting while a live one is held.

        Raises:
            MigrationError: another migrator held it for longer than ``wait_s``.
        """
        deadline = time.monotonic() + self._wait_s
        while True:
            now = time.time()
            try:
                # Matches only an expired lock; with none there, the upsert inserts
                # ours, and with a live one it collides on _id.
                await self._versions.update_one(
                    {"_id": self._id, "expires_at": {"$lt": now}},
                    {"$set": {"owner": self.owner, "expires_at": now + self._ttl_s}},
                    upsert=True,
                )
                return
            except DuplicateKeyError:
                if time.monotonic() > deadline:
                    raise MigrationError(
                        f"another migrator has held {self._id} for over {self._wait_s:.0f} s"
                    ) from None
                await asyncio.sleep(MONGO_LOCK_POLL_S)

    async def renew(self) -> None:
        """Push the expiry back before a step.

        Raises:
            MigrationError: the lock expired and another migrator took it.
        """
        result = await self._versions.update_one(
            {"_id": self._id, "owner": self.owner},
            {"$set": {"expires_at": time.time() + self._ttl_s}},
        )
        if result.matched_count != 1:
            raise MigrationError(f"lost {self._id}: a step took longer than the lock's expiry")

    async def release(self) -> None:
        """Give the lock up (only if still ours)."""
        await self._versions.delete_one({"_id": self._id, "owner": self.owner})


async def migrate_mongo(
    db: AsyncDatabase[Document],
    ladder: Ladder,
    *,
    target: int | None = None,
    lock_ttl_s: float = MONGO_LOCK_TTL_S,
    lock_wait_s: float = MONGO_LOCK_WAIT_S,
) -> Plan:
    """Bring ``db`` to the ladder's version (or ``target``), holding the lock document.

    Returns:
        The plan as it stood before: what was found and the steps that ran.

    Raises:
        MigrationError: the database is newer than the ladder, or the lock was not had.
    """
    upto = ladder.target if target is None else target
    before = await plan_mongo(db, ladder)
    refuse_if_ahead(before)
    if before.current >= upto:
        return replace(before, target=upto, pending=[])
    lock = MongoSchemaLock(db, ladder.service, ttl_s=lock_ttl_s, wait_s=lock_wait_s)
    await lock.acquire()
    ran: list[tuple[int, str]] = []
    try:
        for version, step in ladder.numbered():
            if version > upto:
                break
            await lock.renew()
            current = await _mongo_version(db, ladder.service)
            if current > ladder.target:
                raise MigrationError(
                    f"the {ladder.service} mongodb store moved to schema version {current} "
                    f"while waiting, newer than this code's {ladder.target}"
                )
            if current >= version:
                continue
            started = time.perf_counter()
            # The client's per-operation timeout (10 s) would cut an index build on a
            # large collection short; a step may take as long as the lock lasts, and
            # fails rather than run on once the lock could have passed to another.
            with pymongo.timeout(lock_ttl_s):
                for change in step.mongo:
                    await change(db)
            await db[VERSION_COLLECTION].update_one(
                {"_id": ladder.service},
                {"$max": {"version": version}, "$set": {"step": step.name, "at": time.time()}},
                upsert=True,
            )
            ran.append((version, step.name))
            log.info(
                "schema_step_applied",
                service=ladder.service,
                store="mongodb",
                version=version,
                step=step.name,
                adopted=before.adopted and version == 1,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
    finally:
        await lock.release()
    return replace(before, target=upto, pending=ran)
