"""Composition root: the store, the runtime (outbox relay, consumers) and the read model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from mentor_shared.bus.consumer import AfterCommit
from mentor_shared.erasure import ErasedSubjects
from mentor_shared.events import Envelope
from mentor_shared.events.schemas import (
    MATCH_TOPIC,
    MESSAGING_TOPIC,
    PROFILE_TOPIC,
    ProfileDeleted,
)
from mentor_shared.limits import Limit, RateLimiter
from mentor_shared.runtime import ServiceRuntime, Store, open_store
from messaging_service import consumers
from messaging_service.adapters.mongo_repository import (
    MongoMessagingReadModel,
    MongoMessagingUnitOfWork,
)
from messaging_service.adapters.schema import LADDER
from messaging_service.adapters.sqlite_repository import (
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.service.fanout import MessageFanout
from messaging_service.service.ports import MessagingReadModel, MessagingUnitOfWork
from messaging_service.settings import MessagingSettings


@dataclass
class MessagingContext:
    """Everything the routes need, built once per process."""

    settings: MessagingSettings
    runtime: ServiceRuntime
    read_model: MessagingReadModel
    fanout: MessageFanout
    limiter: RateLimiter
    message_limit: Limit
    erased: ErasedSubjects

    def uow(self) -> MessagingUnitOfWork:
        """A new unit of work on the service's store."""
        uow: MessagingUnitOfWork = self.runtime.uow_factory()  # type: ignore[assignment]
        return uow


async def bootstrap(settings: MessagingSettings) -> MessagingContext:
    """Open the store and wire the runtime, consumers and in-process fan-out (not started)."""
    store = await open_store(settings, "messaging", LADDER)
    read_model, uow_factory = _adapters(store)
    fanout = MessageFanout(max_queue=settings.stream_max_queue)
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
        after_commit=_after_profile_events(fanout, store.after_erasure),
    )
    return MessagingContext(
        settings=settings,
        runtime=runtime,
        read_model=read_model,
        fanout=fanout,
        limiter=store.limiter,
        erased=store.erased,
        message_limit=Limit(
            name="message",
            count=settings.message_rate_limit,
            window_s=settings.message_rate_window_s,
        ),
    )


def _adapters(store: Store) -> tuple[MessagingReadModel, Callable[[], MessagingUnitOfWork]]:
    """The read model and unit-of-work factory on the store, whichever database it is."""
    handle: Any = store.handle
    if store.is_mongodb:
        new_uow = partial(MongoMessagingUnitOfWork, handle.client, "messaging")
        return MongoMessagingReadModel(handle), new_uow
    return SqliteMessagingReadModel(handle), partial(SqliteMessagingUnitOfWork, handle)


def _after_profile_events(
    fanout: MessageFanout, after_erasure: Callable[[], Awaitable[Any]] | None
) -> AfterCommit:
    """What follows a committed batch of profile events that erased someone.

    The erased person's open streams end at once, and on SQLite the WAL is
    truncated so the deleted rows' old pages leave the file system too
    (``secure_delete`` already zeroes them in the database file).
    """

    async def after_commit(events: Sequence[Envelope]) -> None:
        erased = [
            payload.profile_id
            for payload in (e.payload() for e in events)
            if isinstance(payload, ProfileDeleted)
        ]
        if not erased:
            return
        for person in erased:
            fanout.end_person(person)
        if after_erasure is not None:
            await after_erasure()

    return after_commit
