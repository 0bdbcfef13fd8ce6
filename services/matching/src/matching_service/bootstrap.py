"""Composition root: store, runtime, embedder, the live index and the match policy."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from matching_service import consumers
from matching_service.adapters.mongo_read_model import MongoMatchingReadModel
from matching_service.adapters.mongo_repository import MongoMatchingUnitOfWork
from matching_service.adapters.schema import LADDER
from matching_service.adapters.snapshot import build_matcher, load_matcher, save_matcher
from matching_service.adapters.sqlite_read_model import SqliteMatchingReadModel
from matching_service.adapters.sqlite_repository import SqliteMatchingUnitOfWork
from matching_service.domain.matches import MatchPolicy
from matching_service.domain.model import CandidateLoad, PairHistory, TargetRole
from matching_service.domain.skills import load_vocabulary
from matching_service.service import handlers
from matching_service.service.handlers import MatchDeps
from matching_service.service.index import IndexKeeper, applied_from_metadata
from matching_service.service.loads import MentorLoads
from matching_service.service.ports import Embedder, MatchingReadModel, MatchingUnitOfWork
from matching_service.service.skills import SkillTagger
from matching_service.settings import MatchingSettings
from mentor_shared.bus.consumer import EventConsumer
from mentor_shared.events.schemas import MATCH_TOPIC
from mentor_shared.limits import RateLimiter
from mentor_shared.runtime import ServiceRuntime, open_store

log = structlog.get_logger(__name__)


@dataclass
class MatchingContext:
    """Everything the routes, the consumer and the background tasks share."""

    settings: MatchingSettings
    runtime: ServiceRuntime
    read_model: MatchingReadModel
    index: IndexKeeper
    deps: MatchDeps
    consumer: EventConsumer
    uow_factory: Callable[[], MatchingUnitOfWork]
    limiter: RateLimiter
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    loads: MentorLoads = field(init=False)
    skills: SkillTagger = field(init=False)

    def uow(self) -> MatchingUnitOfWork:
        """A new unit of work."""
        return self.uow_factory()

    def __post_init__(self) -> None:
        self.loads = MentorLoads(
            self.read_model,
            self.deps.clock,
            self.settings.load_cache_s,
            # Reply medians within the live matcher's penalty-free time are not read:
            # they would not change a score.
            lambda: self.index.matcher.weights.reply_ok_hours,
            rerequest_after=self.deps.policy.rerequest_after,
        )
        self.index.after_erasure.append(self.loads.forget)
        self.skills = SkillTagger(load_vocabulary(), lambda: self.index.matcher.embedder)

    async def pair_history(self, person_id: str, role: TargetRole) -> PairHistory:
        """The person's pair history (read now) and the mentors' load (shared briefly)."""
        return await self.loads.pair_history(person_id, role)

    async def exact_loads(self) -> dict[str, CandidateLoad]:
        """Every mentor's load as of now, not shared (for cohort planning)."""
        return await self.read_model.mentor_loads(
            now=self.deps.clock(), reply_ok_hours=self.index.matcher.weights.reply_ok_hours
        )

    async def start_background(self) -> None:
        """Start the snapshot and expiry loops."""
        self.tasks.append(
            asyncio.create_task(self.index.run_snapshots(self.settings.snapshot_interval_s))
        )
        self.tasks.append(asyncio.create_task(self.run_expiry()))

    async def stop_background(self) -> None:
        """Stop the loops and save a last snapshot."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        await self.loads.close()
        await self.index.snapshot()

    async def run_expiry(self) -> None:
        """Expire requests and emit reminders every ``expiry_check_interval_s``."""
        while True:
            try:
                await handlers.expire_requests(self.uow(), self.deps)
            except Exception as exc:  # noqa: BLE001 - the loop must survive a failed round
                log.error("request_expiry_failed", error=str(exc))
            await asyncio.sleep(self.settings.expiry_check_interval_s)


def build_embedder(settings: MatchingSettings) -> Embedder:
    """The embedder the settings name (imported lazily: only ``torch`` imports torch)."""
    started = time.perf_counter()
    embedder: Embedder
    if settings.embedder == "hashing":
        from matching_service.adapters.embedder import HashingEmbedder

        embedder = HashingEmbedder()
    elif settings.embedder == "torch":
        from matching_service.adapters.embedder import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder()
    else:
        from matching_service.adapters.embedder import OnnxEmbedder

        embedder = OnnxEmbedder(settings.model_dir)
    log.info(
        "embedder_ready",
        kind=settings.embedder,
        seconds=round(time.perf_counter() - started, 2),
    )
    return embedder


def match_policy(settings: MatchingSettings) -> MatchPolicy:
    """The request rules from settings."""
    return MatchPolicy(
        max_open_requests=settings.max_open_requests,
        request_expiry=timedelta(days=settings.request_expiry_days),
        reminder_after=timedelta(days=settings.reminder_days),
        keep_other_requests_on_accept=settings.keep_other_requests_on_accept,
        rerequest_after=timedelta(days=settings.rerequest_after_days),
    )


async def bootstrap(
    settings: MatchingSettings, *, embedder: Embedder | None = None
) -> MatchingContext:
    """Open the store, load the index snapshot, reconcile it with the store (not started).

    Args:
        settings: The service settings.
        embedder: An embedder to use instead of the one the settings name (tests, benches).
    """
    read_model: MatchingReadModel
    uow_factory: Callable[[], MatchingUnitOfWork]
    store = await open_store(settings, "matching", LADDER)
    if store.is_mongodb:
        database: Any = store.handle
        client: Any = database.client
        read_model = MongoMatchingReadModel(database)

        def uow_factory() -> MatchingUnitOfWork:
            return MongoMatchingUnitOfWork(client, "matching")

    else:
        db = store.handle
        read_model = SqliteMatchingReadModel(db)

        def uow_factory() -> MatchingUnitOfWork:
            return SqliteMatchingUnitOfWork(db)

    after_erasure: Callable[[Sequence[str]], Awaitable[None]] | None = None
    if store.after_erasure is not None:
        # SQLite: the erased rows' pages are zeroed (secure_delete); the WAL still holds
        # the old page images until it is checkpointed and truncated.
        store_after_erasure = store.after_erasure

        async def after_erasure(removed: Sequence[str]) -> None:
            await store_after_erasure()

    chosen: Embedder = (
        embedder if embedder is not None else await asyncio.to_thread(build_embedder, settings)
    )
    weights = settings.ranking_weights()

    def new_matcher() -> Any:
        return build_matcher(chosen, weights=weights, hnsw_threshold=settings.hnsw_threshold)

    snapshot_dir = settings.index_dir()
    loaded = await asyncio.to_thread(load_matcher, snapshot_dir, chosen, weights=weights)
    last_event, snapshot_at = (None, None)
    if loaded is None:
        matcher = new_matcher()
    else:
        matcher, metadata = loaded
        last_event, snapshot_at = applied_from_metadata(metadata)
    index = IndexKeeper(
        matcher,
        new_matcher=new_matcher,
        snapshot_dir=snapshot_dir,
        save=save_matcher,
        last_event=await read_model.last_event() or last_event,
        snapshot_at=snapshot_at,
        erased_among=read_model.erased_among,
        after_erasure=after_erasure,
    )
    reconciled = await index.reconcile(await read_model.all_profiles())
    if reconciled.gone:
        # People erased after the snapshot was saved: replace it now.
        await index.forget_saved(reconciled.gone)

    runtime = ServiceRuntime(settings, store, publishes=[MATCH_TOPIC], uow_factory=uow_factory)
    consumer = runtime.add_consumer(
        group_id=settings.consumer_group,
        topics=consumers.TOPICS,
        handler=consumers.handle_event,
        after_commit=index.apply_events,
    )
    return MatchingContext(
        settings=settings,
        runtime=runtime,
        read_model=read_model,
        index=index,
        deps=MatchDeps(policy=match_policy(settings)),
        consumer=consumer,
        uow_factory=uow_factory,
        limiter=store.limiter,
    )
