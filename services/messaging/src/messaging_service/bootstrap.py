"""Composition root: the store, the runtime (outbox relay, consumers) and the read model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mentor_shared.events.schemas import MATCH_TOPIC, MESSAGING_TOPIC, PROFILE_TOPIC
from mentor_shared.runtime import ServiceRuntime, open_mongo_store, open_sqlite_store
from messaging_service import consumers
from messaging_service.adapters.mongo_repository import (
    MongoMessagingReadModel,
    MongoMessagingUnitOfWork,
    ensure_messaging_indexes,
)
from messaging_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.service.fanout import MessageFanout
from messaging_service.service.ports import MessagingReadModel, MessagingUnitOfWork
from messaging_service.service.rate_limit import SlidingWindowLimiter
from messaging_service.settings import MessagingSettings


@dataclass
class MessagingContext:
    """Everything the routes need, built once per process."""

    settings: MessagingSettings
    runtime: ServiceRuntime
    read_model: MessagingReadModel
    fanout: MessageFanout
    limiter: SlidingWindowLimiter

    def uow(self) -> MessagingUnitOfWork:
        """A new unit of work on the service's store."""
        uow: MessagingUnitOfWork = self.runtime.uow_factory()  # type: ignore[assignment]
        return uow


async def bootstrap(settings: MessagingSettings) -> MessagingContext:
    """Open the store and wire the runtime, consumers and in-process fan-out (not started)."""
    read_model: MessagingReadModel
    if settings.mongodb_uri:
        store = await open_mongo_store(settings, "messaging")
        database: Any = store.handle
        await ensure_messaging_indexes(database)
        client: Any = database.client
        read_model = MongoMessagingReadModel(database)

        def uow_factory() -> MessagingUnitOfWork:
            return MongoMessagingUnitOfWork(client, "messaging")

    else:
        store = await open_sqlite_store(settings, SQLITE_SCHEMA)
        sqlite_db = store.handle
        read_model = SqliteMessagingReadModel(sqlite_db)

        def uow_factory() -> MessagingUnitOfWork:
            return SqliteMessagingUnitOfWork(sqlite_db)

    runtime = ServiceRuntime(settings, store, publishes=[MESSAGING_TOPIC], uow_factory=uow_factory)
    runtime.add_consumer(
        group_id=consumers.MATCH_GROUP,
        topics=[MATCH_TOPIC],
        handler=consumers.handle_match_event,
    )
    runtime.add_consumer(
        group_id=consumers.PROFILE_GROUP,
        topics=[PROFILE_TOPIC],
        handler=consumers.handle_profile_event,
    )
    return MessagingContext(
        settings=settings,
        runtime=runtime,
        read_model=read_model,
        fanout=MessageFanout(max_queue=settings.stream_max_queue),
        limiter=SlidingWindowLimiter(settings.message_rate_limit, settings.message_rate_window_s),
    )
