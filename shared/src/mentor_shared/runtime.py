"""What a service process runs besides its routes: its store, outbox relay and consumers.

Each service's ``bootstrap`` opens its store with :func:`open_store` (SQLite on
the embedded defaults, MongoDB when ``MONGODB_URI`` is set; either way its schema
is first brought to the version of the service's ladder,
:mod:`mentor_shared.storage.migrations`), picks its adapters by
:attr:`Store.kind`, builds a
:class:`ServiceRuntime`, registers its
consumers, and hands the runtime to the FastAPI lifespan, which starts and
stops it and registers its readiness checks.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import FastAPI
from pymongo.errors import PyMongoError

from mentor_shared.bus.consumer import AfterCommit, EventConsumer, EventHandler
from mentor_shared.bus.metrics import refresh_bus_metrics
from mentor_shared.bus.mongo_store import MongoOutboxStore
from mentor_shared.bus.records import OutboxStore, UnitOfWork
from mentor_shared.bus.relay import OutboxRelay
from mentor_shared.bus.sqlite_store import SqliteOutboxStore
from mentor_shared.erasure import (
    ErasedSubjects,
    MongoErasedSubjects,
    SqliteErasedSubjects,
)
from mentor_shared.limits import MongoRateLimiter, RateLimiter, SqliteRateLimiter
from mentor_shared.settings import ServiceSettings
from mentor_shared.storage.migrations import Ladder, MigrationError, migrate_mongo, migrate_sqlite
from mentor_shared.storage.mongo import mongo_client, mongo_ping
from mentor_shared.storage.sqlite import SqliteDatabase
from mentor_shared.web.health import CheckResult, ReadinessRegistry

log = structlog.get_logger(__name__)


@dataclass
class Store:
    """A service's open store, whichever database is behind it."""

    kind: str
    outbox: OutboxStore
    ping: Callable[[], Awaitable[bool]]
    close: Callable[[], Awaitable[None]]
    limiter: RateLimiter
    """Abuse-limit counters, shared by every replica (:mod:`mentor_shared.limits`)."""
    erased: ErasedSubjects
    """The ids this service erased (:mod:`mentor_shared.erasure`)."""
    commit_signals: list[asyncio.Event] = field(default_factory=list)
    handle: Any = None
    """The SqliteDatabase or the MongoDB database, for the service's repositories."""
    after_erasure: Callable[[], Awaitable[None]] | None = None
    """What the store needs once a person's rows are deleted (SQLite: empty the WAL,
    which still holds the old pages); ``None`` where nothing is needed."""

    @property
    def is_mongodb(self) -> bool:
        """Whether this is a MongoDB database (otherwise a SQLite file)."""
        return self.kind == "mongodb"


async def open_store(settings: ServiceSettings, database: str, ladder: Ladder) -> Store:
    """The service's store: MongoDB when ``MONGODB_URI`` is set, else its SQLite file.

    Args:
        settings: The service's settings.
        database: The MongoDB database name (one per service).
        ladder: The service's schema ladder, applied before anything else.

    Raises:
        MigrationError: the store was migrated by newer code.
    """
    if settings.mongodb_uri:
        return await open_mongo_store(settings, database, ladder)
    return await open_sqlite_store(settings, ladder)


async def open_sqlite_store(settings: ServiceSettings, ladder: Ladder) -> Store:
    """The service's SQLite file, its schema brought to the ladder's version first.

    Raises:
        MigrationError: the file was migrated by newer code.
    """
    path = settings.sqlite_path()
    try:
        # Waits for the file's write lock while another process migrates it.
        await asyncio.to_thread(migrate_sqlite, path, ladder)
    except (MigrationError, sqlite3.Error) as exc:
        log.error("schema_migration_failed", store="sqlite", service=ladder.service, error=str(exc))
        raise
    db = await SqliteDatabase(path).open()
    return Store(
        kind="sqlite",
        outbox=SqliteOutboxStore(db),
        ping=db.ping,
        close=db.close,
        limiter=SqliteRateLimiter(db),
        erased=SqliteErasedSubjects(db),
        commit_signals=db.commit_listeners,
        handle=db,
        after_erasure=db.truncate_wal,
    )


async def open_mongo_store(settings: ServiceSettings, database: str, ladder: Ladder) -> Store:
    """The service's MongoDB database (needs a replica set for transactions).

    Its schema (indexes, collections) is brought to the ladder's version first.

    Raises:
        MigrationError: the database was migrated by newer code, or another
            migrator kept the lock.
    """
    assert settings.mongodb_uri is not None
    client: Any = mongo_client(settings.mongodb_uri)
    db = client[database]
    try:
        await migrate_mongo(db, ladder)
    except BaseException as exc:
        if isinstance(exc, MigrationError | PyMongoError):
            log.error(
                "schema_migration_failed", store="mongodb", service=ladder.service, error=str(exc)
            )
        await client.close()
        raise

    async def close() -> None:
        await client.close()

    async def ping() -> bool:
        return await mongo_ping(client)

    return Store(
        kind="mongodb",
        outbox=MongoOutboxStore(db),
        ping=ping,
        close=close,
        limiter=MongoRateLimiter(db),
        erased=MongoErasedSubjects(db),
        handle=db,
    )


class ServiceRuntime:
    """The store, the outbox relay and the consumers of one service process."""

    def __init__(
        self,
        settings: ServiceSettings,
        store: Store,
        *,
        publishes: Sequence[str],
        uow_factory: Callable[[], UnitOfWork],
    ) -> None:
        self.settings = settings
        self.store = store
        self.uow_factory = uow_factory
        self.relay = OutboxRelay(settings, store.outbox, topics=list(publishes))
        store.commit_signals.append(self.relay.wakeup)
        self.consumers: list[EventConsumer] = []
        self._started = False

    def add_consumer(
        self,
        group_id: str,
        topics: Sequence[str],
        handler: EventHandler,
        *,
        after_commit: AfterCommit | None = None,
    ) -> EventConsumer:
        """Register a consumer group member; started with the runtime."""
        consumer = EventConsumer(
            self.settings,
            group_id=group_id,
            topics=topics,
            handler=handler,
            uow_factory=self.uow_factory,
            after_commit=after_commit,
        )
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        """Start the relay, then the consumers (together: each waits to join its group).

        When one consumer cannot start (or the start is cancelled), the others'
        starts are cancelled and awaited before the error goes on, so that
        :meth:`stop` finds nothing still starting.
        """
        await self.relay.start()
        starting = [asyncio.create_task(consumer.start()) for consumer in self.consumers]
        try:
            await asyncio.gather(*starting)
        except BaseException:
            for task in starting:
                task.cancel()
            await asyncio.gather(*starting, return_exceptions=True)
            raise
        self._started = True
        log.info("runtime_started", store=self.store.kind, consumers=len(self.consumers))

    async def stop(self) -> None:
        """Stop the consumers and the relay, then close the store.

        Every step runs, also after one fails: each failure is logged and the
        first is raised once all have run.
        """
        steps: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            *((f"consumer {consumer.group_id}", consumer.stop) for consumer in self.consumers),
            ("relay", self.relay.stop),
            ("store", self.store.close),
        ]
        first: Exception | None = None
        for name, step in steps:
            try:
                await step()
            except Exception as exc:  # noqa: BLE001 - logged; the others must still stop
                log.error("runtime_stop_failed", step=name, error=repr(exc))
                first = first or exc
        self._started = False
        if first is not None:
            raise first

    def install(self, app: FastAPI) -> None:
        """Give the app its readiness checks, metrics and the erased ids its token check reads."""
        self.register_readiness(app.state.readiness)
        app.state.erased_subjects = self.store.erased
        refreshers = getattr(app.state, "metrics_refreshers", None)
        if refreshers is None:
            refreshers = app.state.metrics_refreshers = []
        refreshers.append(self.refresh_metrics)

    async def refresh_metrics(self) -> None:
        """Set the bus gauges (outbox backlog and age, consumer lag) for a scrape."""
        counts = await self.store.outbox.counts()
        refresh_bus_metrics(counts, self.relay.progress.published, self.consumers)

    def register_readiness(self, registry: ReadinessRegistry) -> None:
        """Add store, broker and consumer checks to a service's /readyz."""
        registry.add(self.check_store)
        registry.add(self.check_broker)
        registry.add(self.check_consumers)

    async def check_store(self) -> CheckResult:
        """The store answers."""
        return CheckResult("store", await self.store.ping(), {"kind": self.store.kind})

    async def check_broker(self) -> CheckResult:
        """The relay can reach the broker and is publishing."""
        progress = self.relay.progress
        counts = await self.store.outbox.counts()
        return CheckResult(
            "broker",
            self._started and progress.healthy,
            {
                "outbox_unsent": counts.unsent,
                "published": progress.published,
                "recoveries": progress.recoveries,
                "last_error": progress.last_error,
            },
        )

    async def check_consumers(self) -> CheckResult:
        """Every consumer is running and polling."""
        results = [consumer.readiness() for consumer in self.consumers]
        return CheckResult(
            "consumers",
            all(ok for ok, _ in results),
            {detail["group"]: detail for _, detail in results},
        )
