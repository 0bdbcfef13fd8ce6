"""Publishes outbox records to Kafka in order and recovers from broker data loss.

The relay publishes unsent records in write order (so per key, per partition,
in order), marks them sent with the offsets the broker gave them, and keeps sent
records for a retention window. Every few seconds it compares what it wrote
with what the broker holds; when topics are gone or end offsets fell below its
marks (the development broker restarted empty, or a production cluster lost
data), it recreates the topics, waits for consumers to rejoin, and re-publishes
everything retained. Consumers de-duplicate through their inbox.

The periodic check alone can miss a loss: if the relay publishes enough after
the broker came back empty, the new end offsets pass the old marks before the
next check. So every publish is checked too: a partition's offsets only grow,
and a record the broker acknowledges below an offset it acknowledged before
means the partition was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from mentor_shared.bus.kafka import OffsetProbe, ensure_topics, make_producer
from mentor_shared.bus.metrics import record_published
from mentor_shared.bus.records import OutboxRecord, OutboxStore
from mentor_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

BATCH_SIZE = 500
PARTITIONER = DefaultPartitioner()
"""Kafka's default (murmur2 of the key): a key lands where any Kafka client would put it."""
EXPECTED_ERRORS = (KafkaError, TimeoutError, OSError)
"""The broker is away or refused: retried quietly (a warning each time)."""

Lost = dict[tuple[str, int], tuple[int, int | None]]
"""Partitions found behind what was written: (topic, partition) -> (mark, found)."""


class _PartitionWentBack(Exception):
    """The broker acknowledged a record below an offset it acknowledged before."""

    def __init__(self, lost: Lost) -> None:
        super().__init__(f"{len(lost)} partition(s) went back")
        self.lost = lost


@dataclass
class _PartitionOutcome:
    """What one partition's share of a round wrote: a prefix of its records."""

    sent: list[int] = field(default_factory=list)
    first_offset: int | None = None
    error: BaseException | None = None


@dataclass
class RelayProgress:
    """What the relay has done, for /readyz and the operator tool."""

    published: int = 0
    republished: int = 0
    recoveries: int = 0
    last_publish_at: float | None = None
    last_check_at: float | None = None
    last_error: str | None = None
    healthy: bool = True
    errors: list[str] = field(default_factory=list)


class OutboxRelay:
    """Moves a service's outbox to Kafka (one relay per service process)."""

    def __init__(
        self,
        settings: ServiceSettings,
        store: OutboxStore,
        topics: list[str],
        wakeup: asyncio.Event | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._topics = topics
        self.wakeup = wakeup or asyncio.Event()
        self.progress = RelayProgress()
        self._producer: AIOKafkaProducer | None = None
        self._probe = OffsetProbe(settings)
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._marks: dict[tuple[str, int], int] = {}
        self._unrecovered: Lost | None = None

    async def start(self) -> None:
        """Connect, create missing topics, check for loss, and start the loops."""
        await ensure_topics(self._settings, self._topics)
        self._producer = make_producer(self._settings)
        await self._producer.start()
        await self.check_broker()
        self._marks = dict(await self._store.partition_marks())
        self._tasks = [
            asyncio.create_task(self._publish_loop(), name="outbox-publish"),
            asyncio.create_task(self._check_loop(), name="outbox-check"),
        ]

    async def stop(self) -> None:
        """Stop the loops and close the clients (unsent records stay in the outbox)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        await self._probe.close()

    async def _publish_loop(self) -> None:
        interval = self._settings.outbox_poll_interval_s
        while True:
            try:
                published = await self.publish_pending()
            except Exception as exc:  # noqa: BLE001 - recorded; the relay must outlive it
                self._record_error("outbox_publish_failed", exc)
                await asyncio.sleep(1.0)
                continue
            if published == 0:
                self.wakeup.clear()
                # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation
                # that arrives as the wake-up does, and stopping would wait forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(interval * 20):
                        await self.wakeup.wait()

    async def _check_loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.broker_check_interval_s)
            try:
                await self.check_broker()
                await self._purge()
            except Exception as exc:  # noqa: BLE001 - recorded; the relay must outlive it
                self._record_error("broker_check_failed", exc)

    def _record_error(self, event: str, exc: Exception) -> None:
        # A broker that is away is expected and retried; anything else (a failed
        # recovery, a store error) is a fault worth its traceback. Either way the
        # loop goes on and /readyz shows the error until a publish succeeds.
        self.progress.last_error = f"{type(exc).__name__}: {exc}"
        self.progress.healthy = False
        if isinstance(exc, EXPECTED_ERRORS):
            log.warning(event, error=self.progress.last_error)
        else:
            log.error(event, error=self.progress.last_error, exc_info=exc)

    async def publish_pending(self) -> int:
        """Publish every unsent record, in order; returns how many were published."""
        total = 0
        async with self._lock:
            if self._unrecovered is not None:
                await self._recover()
            try:
                while time.monotonic() >= self._paused_until and (
                    records := await self._store.unsent(BATCH_SIZE)
                ):
                    await self._look_for_missing_topics()
                    if self._unrecovered is not None:
                        await self._recover()
                        break
                    await self._publish_batch(records)
                    total += len(records)
            except _PartitionWentBack as exc:
                self._found_loss(exc.lost)
                await self._recover()
        if total:
            self.progress.published += total
            self.progress.last_publish_at = time.time()
            self.progress.healthy = True
        return total

    async def _look_for_missing_topics(self) -> None:
        # Produced to, a missing topic would be created by the development broker
        # itself, and when that happens under a producer that was connected before
        # the broker restarted, the broker later hands out offsets it already gave
        # (records are overwritten). So every round starts by looking, and a topic
        # that is gone is a loss if anything was written to it, or else just created.
        missing = set(self._topics) - await self._probe.existing_topics()
        if not missing:
            return
        marks = await self._store.partition_marks()
        lost: Lost = {tp: (mark, None) for tp, mark in marks.items() if tp[0] in missing}
        if lost:
            self._found_loss(lost)
        else:
            await ensure_topics(self._settings, sorted(missing))

    async def _publish_batch(self, records: list[OutboxRecord]) -> None:
        producer = self._producer
        if producer is None:
            raise RuntimeError("relay is not started")
        queues: dict[tuple[str, int], list[OutboxRecord]] = {}
        partitions: dict[str, list[int]] = {}
        for record in records:
            if record.topic not in partitions:
                partitions[record.topic] = sorted(await producer.partitions_for(record.topic))
            partition = PARTITIONER(record.key.encode(), partitions[record.topic], None)
            queues.setdefault((record.topic, partition), []).append(record)
        outcomes = dict(
            zip(
                queues,
                await asyncio.gather(
                    *(self._publish_partition(producer, tp, queue) for tp, queue in queues.items())
                ),
                strict=True,
            )
        )
        # The mark is the first offset this round wrote, plus one: the development
        # broker reports a partition's end as the base offset of its last record
        # batch + 1, so the true end cannot be compared. Every record of an earlier
        # round had an offset of at least its mark - 1, so anything acknowledged
        # since is at or above the mark.
        marks = {
            tp: outcome.first_offset + 1
            for tp, outcome in outcomes.items()
            if outcome.first_offset is not None
        }
        went_back: Lost = {
            tp: (self._marks[tp], mark - 1)
            for tp, mark in marks.items()
            if tp in self._marks and mark - 1 < self._marks[tp]
        }
        if went_back:
            # Not marked sent: the recovery re-publishes them with everything retained.
            raise _PartitionWentBack(went_back)
        for tp, mark in marks.items():
            self._marks[tp] = max(self._marks.get(tp, 0), mark)
        sent = [seq for outcome in outcomes.values() for seq in outcome.sent]
        if sent:
            await self._store.mark_sent(sent, marks)
        errors = [outcome.error for outcome in outcomes.values() if outcome.error is not None]
        if errors:
            # The rest of those partitions' records stay unsent, in order, for the next round.
            raise errors[0]

    async def _publish_partition(
        self, producer: AIOKafkaProducer, tp: tuple[str, int], records: list[OutboxRecord]
    ) -> _PartitionOutcome:
        outcome = _PartitionOutcome()
        timeout = self._settings.kafka_request_timeout_s * 2
        while records:
            batch = producer.create_batch()
            taken = 0
            for record in records:
                appended = batch.append(
                    key=record.key.encode(),
                    value=record.payload,
                    timestamp=None,
                    headers=list(record.headers),
                )
                if appended is None:  # full (the first record always fits)
                    break
                taken += 1
            batch.close()
            try:
                delivered = await producer.send_batch(batch, tp[0], partition=tp[1])
                metadata = await asyncio.wait_for(delivered, timeout)
            except EXPECTED_ERRORS as exc:
                outcome.error = exc
                return outcome
            if outcome.first_offset is None:
                outcome.first_offset = metadata.offset
            outcome.sent.extend(record.seq for record in records[:taken])
            record_published(records[:taken])
            records = records[taken:]
        return outcome

    async def check_broker(self) -> bool:
        """Compare the broker with what was written; recover if it lost data."""
        async with self._lock:
            marks = await self._store.partition_marks()
            self.progress.last_check_at = time.time()
            if not marks:
                return False
            ends = await self._probe.end_offsets(marks.keys())
            lost = {tp: (mark, ends[tp]) for tp, mark in marks.items() if (ends[tp] or 0) < mark}
            if not lost:
                return False
            self._found_loss(lost)
            await self._recover()
            return True

    def _found_loss(self, lost: Lost) -> None:
        # Remembered until a recovery completes: once the relay has published to the
        # emptied broker again, its partitions may have grown past the marks, and
        # neither check could see the loss a second time.
        if self._unrecovered is None:
            self._unrecovered = lost
        log.warning(
            "broker_data_loss_detected",
            partitions=len(lost),
            sample={
                f"{t}:{p}": {"written": m, "found": e} for (t, p), (m, e) in list(lost.items())[:5]
            },
        )

    async def _recover(self) -> None:
        # Called with the lock held; any step may fail, and the whole recovery is
        # then tried again by the next round (every step can be repeated).
        await ensure_topics(self._settings, self._topics, replace_undersized=True)
        since = time.time() - self._settings.outbox_retention_days * 86400
        requeued = await self._store.requeue_retained(since)
        self._marks = {}
        # A fresh producer: the old one may still map keys to the partitions of a
        # topic the broker auto-created with too few, and would move keys later.
        fresh = make_producer(self._settings)
        await fresh.start()
        if self._producer is not None:
            await self._producer.stop()
        self._producer = fresh
        # Let consumers notice the lost group and rejoin from the start before
        # anything new lands beyond their old positions.
        self._paused_until = time.monotonic() + self._settings.broker_recovery_settle_s
        self._unrecovered = None
        self.progress.recoveries += 1
        self.progress.republished += requeued
        log.warning("outbox_requeued_after_loss", records=requeued)

    async def _purge(self) -> None:
        before = time.time() - self._settings.outbox_retention_days * 86400
        purged = await self._store.purge_sent_before(before)
        if purged:
            log.info("outbox_purged", records=purged)
