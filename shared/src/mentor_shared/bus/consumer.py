"""Consumes events: handler and inbox in one transaction, then the offset commit.

A batch of records from one partition is applied in one unit of work; every
event is first recorded in the inbox, so a redelivered event (after a crash
between the transaction and the offset commit, a rebalance, or a re-publish
after broker loss) is recognised and skipped. If the batch fails, its events
are retried one at a time with backoff; an event that keeps failing, or that is
malformed or of an unknown type, goes to ``<topic>.dlq`` and the partition moves
on. Offsets are committed only after the transaction commits. With tracing on, each
event's handling is a span whose parent is the ``traceparent`` its record carries.

A record with a null value is a tombstone (written after an erasure so that a
compacted topic forgets the key): it carries no event, so it is skipped, never
dead-lettered; the erasure itself arrived as an event before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from pydantic import ValidationError

from mentor_shared.bus.kafka import dead_letter_topic, ensure_topics, make_producer
from mentor_shared.bus.metrics import record_dead_letter
from mentor_shared.bus.records import UnitOfWork
from mentor_shared.context import set_correlation_id
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.registry import UnknownEventError
from mentor_shared.settings import ServiceSettings
from mentor_shared.tracing import processing_span

log = structlog.get_logger(__name__)

EventHandler = Callable[[Envelope, Any], Awaitable[None]]
"""Applies one event inside an open unit of work (the service's own UoW type)."""

AfterCommit = Callable[[Sequence[Envelope]], Awaitable[None]]
"""Runs after a transaction commits, with the events it applied (not duplicates)."""


@dataclass
class PartitionProgress:
    """Where a consumer stands on one partition."""

    position: int = 0
    highwater: int | None = None

    @property
    def lag(self) -> int:
        """Records on the broker not yet processed."""
        return max(0, (self.highwater or 0) - self.position)


@dataclass
class ConsumerProgress:
    """Counters and positions exposed to /readyz and /metrics."""

    started_at: float = field(default_factory=time.time)
    last_poll_at: float | None = None
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    tombstones: int = 0
    retries: int = 0
    after_commit_failures: int = 0
    partitions: dict[str, PartitionProgress] = field(default_factory=dict)

    @property
    def lag(self) -> int:
        """Total lag over assigned partitions."""
        return sum(p.lag for p in self.partitions.values())

    def stalled(self, now: float, limit_s: float) -> bool:
        """Whether the poll loop has not come round for ``limit_s`` seconds."""
        last = self.last_poll_at or self.started_at
        return now - last > limit_s


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: EventConsumer) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._runner.commit_pending(revoked)

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions_assigned", group=self._runner.group_id, count=len(assigned))


class EventConsumer:
    """One consumer group member applying events through a service handler."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        group_id: str,
        topics: Sequence[str],
        handler: EventHandler,
        uow_factory: Callable[[], UnitOfWork],
        after_commit: AfterCommit | None = None,
        max_batch: int = 200,
    ) -> None:
        self.settings = settings
        self.group_id = group_id
        self.topics = list(topics)
        self._handler = handler
        self._uow_factory = uow_factory
        self._after_commit = after_commit
        self._max_batch = max_batch
        self.progress = ConsumerProgress()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None
        self._pending: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        """Create missing topics, join the group and start consuming."""
        await ensure_topics(
            self.settings, self.topics + [dead_letter_topic(t) for t in self.topics]
        )
        self._producer = make_producer(self.settings)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.group_id,
            client_id=f"{self.settings.service_name}-{self.group_id}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            metadata_max_age_ms=self.settings.kafka_metadata_max_age_ms,
            max_poll_interval_ms=300_000,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.settings.kafka_session_timeout_ms // 3,
            request_timeout_ms=int(self.settings.kafka_request_timeout_s * 1000) + 30_000,
        )
        self._consumer.subscribe(self.topics, listener=_CommitOnRevoke(self))
        await self._consumer.start()
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.group_id}")
        log.info("consumer_started", group=self.group_id, topics=self.topics)

    async def stop(self) -> None:
        """Finish the batch in hand, commit, leave the group."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._consumer is not None:
            with contextlib.suppress(KafkaError):
                await self.commit_pending()
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while True:
            try:
                batches = await consumer.getmany(timeout_ms=500, max_records=self._max_batch)
            except KafkaError as exc:
                log.warning("consumer_poll_failed", group=self.group_id, error=str(exc))
                await asyncio.sleep(1.0)
                continue
            self.progress.last_poll_at = time.time()
            for tp, records in batches.items():
                await self._process(tp, records)
                self._pending[tp] = records[-1].offset + 1
            await self.commit_pending()
            self._update_lag(consumer)

    def _update_lag(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            progress = self.progress.partitions.setdefault(
                f"{tp.topic}:{tp.partition}", PartitionProgress()
            )
            progress.highwater = consumer.highwater(tp)
            if tp in self._committed:
                progress.position = self._committed[tp]

    async def commit_pending(self, partitions: Sequence[TopicPartition] | None = None) -> None:
        """Commit offsets of processed records (all, or those of ``partitions``)."""
        if self._consumer is None or not self._pending:
            return
        chosen = {
            tp: offset
            for tp, offset in self._pending.items()
            if partitions is None or tp in partitions
        }
        if not chosen:
            return
        try:
            await self._consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in chosen.items()})
        except (CommitFailedError, KafkaError) as exc:
            # The group moved on (rebalance, or the broker lost it); whoever gets
            # these partitions re-reads them and the inbox drops what was applied.
            log.warning("offset_commit_failed", group=self.group_id, error=str(exc))
        else:
            self._committed.update(chosen)
        for tp in chosen:
            self._pending.pop(tp, None)

    async def _process(self, tp: TopicPartition, records: list[ConsumerRecord[Any, Any]]) -> None:
        parsed: list[tuple[Envelope, ConsumerRecord[Any, Any]]] = []
        for record in records:
            envelope = await self._parse(record)
            if envelope is not None:
                parsed.append((envelope, record))
        if not parsed:
            return
        try:
            await self._apply(parsed)
        except Exception as exc:  # noqa: BLE001 - any handler failure: retry one by one
            log.warning(
                "batch_failed_retrying_singly",
                group=self.group_id,
                partition=f"{tp.topic}:{tp.partition}",
                events=len(parsed),
                error=type(exc).__name__,
            )
            for envelope, record in parsed:
                await self._apply_with_retries(envelope, record)

    async def _parse(self, record: ConsumerRecord[Any, Any]) -> Envelope | None:
        if record.value is None:
            self.progress.tombstones += 1
            return None
        try:
            return Envelope.from_bytes(record.value)
        except (ValidationError, UnknownEventError, ValueError, TypeError) as exc:
            await self._dead_letter(record, f"rejected: {type(exc).__name__}: {exc}"[:500])
            return None

    async def _apply(self, events: Sequence[tuple[Envelope, ConsumerRecord[Any, Any]]]) -> None:
        applied: list[Envelope] = []
        async with self._uow_factory() as uow:
            new = await uow.record_inbox_many(self.group_id, [str(e.id) for e, _ in events])
            for envelope, record in events:
                if str(envelope.id) not in new:
                    self.progress.duplicates += 1
                    log.debug(
                        "event_duplicate_skipped", group=self.group_id, event_id=str(envelope.id)
                    )
                    continue
                new.discard(str(envelope.id))  # the same event twice in one batch
                set_correlation_id(envelope.correlation_id)
                with processing_span(
                    group=self.group_id,
                    topic=record.topic,
                    event_id=str(envelope.id),
                    event_type=envelope.type,
                    record_headers=record.headers,
                ):
                    await self._handler(envelope, uow)
                applied.append(envelope)
            await uow.commit()
        self.progress.applied += len(applied)
        if applied and self._after_commit is not None:
            await self._run_after_commit(applied)

    async def _run_after_commit(self, applied: list[Envelope]) -> None:
        # The events are applied and recorded: a failure here must not make them
        # look unprocessed (they would be retried and dead-lettered for nothing).
        # The service's hook owns its own recovery; the runner records the fault.
        assert self._after_commit is not None
        try:
            await self._after_commit(applied)
        except Exception:
            self.progress.after_commit_failures += 1
            log.exception("after_commit_failed", group=self.group_id, events=len(applied))

    async def _apply_with_retries(
        self, envelope: Envelope, record: ConsumerRecord[Any, Any]
    ) -> None:
        attempts = self.settings.consumer_max_attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._apply([(envelope, record)])
                return
            except Exception as exc:  # noqa: BLE001 - a failing handler must not stop the partition
                self.progress.retries += 1
                log.warning(
                    "event_handler_failed",
                    group=self.group_id,
                    event_id=str(envelope.id),
                    event_type=envelope.type,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                if attempt == attempts:
                    await self._dead_letter(
                        record, f"handler failed {attempts} times: {exc!r}"[:500]
                    )
                    return
                await asyncio.sleep(self.settings.consumer_retry_backoff_s * 2 ** (attempt - 1))

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        assert self._producer is not None
        headers = [
            *(record.headers or ()),
            ("dlq_reason", reason.encode()),
            ("dlq_source", f"{record.topic}:{record.partition}:{record.offset}".encode()),
            ("dlq_group", self.group_id.encode()),
        ]
        await asyncio.wait_for(
            self._producer.send_and_wait(
                dead_letter_topic(record.topic), value=record.value, key=record.key, headers=headers
            ),
            timeout=self.settings.kafka_request_timeout_s,
        )
        self.progress.dead_lettered += 1
        record_dead_letter(self.group_id, record.topic)
        log.error(
            "event_dead_lettered",
            group=self.group_id,
            source=f"{record.topic}:{record.partition}:{record.offset}",
            reason=reason.split(":")[0],
        )

    def readiness(self, stall_limit_s: float = 30.0) -> tuple[bool, dict[str, Any]]:
        """(ok, detail) for /readyz: running, polling recently, and its lag."""
        running = self._task is not None and not self._task.done()
        stalled = self.progress.stalled(time.time(), stall_limit_s)
        return running and not stalled, {
            "group": self.group_id,
            "running": running,
            "last_poll_at": self.progress.last_poll_at,
            "lag": self.progress.lag,
            "applied": self.progress.applied,
            "duplicates": self.progress.duplicates,
            "dead_lettered": self.progress.dead_lettered,
            "after_commit_failures": self.progress.after_commit_failures,
        }
