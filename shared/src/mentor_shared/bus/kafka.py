"""Kafka clients built from settings: producer, topic admin, offset probe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from mentor_shared.events.schemas import ACCOUNT_TOPIC, PROFILE_TOPIC
from mentor_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)

TOPIC_ALREADY_EXISTS = TopicAlreadyExistsError.errno

_DAY_MS = "86400000"
_WEEK_MS = "604800000"

TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    # Compacted without time retention: the topic keeps every living person's latest
    # profile, from which a matching replica rebuilds its index. An erasure ends with
    # a tombstone for the person's key, so compaction removes all their records
    # (within max.compaction.lag.ms) and the tombstone itself a day later. Nothing
    # younger than a day is compacted, so a consumer up to a day behind still reads
    # profile.deleted before the tombstone replaces it (consumers skip tombstones).
    PROFILE_TOPIC: {
        "cleanup.policy": "compact",
        "segment.ms": _DAY_MS,
        "min.compaction.lag.ms": _DAY_MS,
        "max.compaction.lag.ms": _WEEK_MS,
        "delete.retention.ms": _DAY_MS,
    },
    # Addresses travel here, and nothing on it is needed after a week: time retention
    # as well as compaction, so an erased person's records go at the latest with the
    # week, and sooner once the tombstone is compacted.
    ACCOUNT_TOPIC: {
        "cleanup.policy": "compact,delete",
        "retention.ms": _WEEK_MS,
        "segment.ms": _DAY_MS,
        "min.compaction.lag.ms": _DAY_MS,
        "max.compaction.lag.ms": _WEEK_MS,
        "delete.retention.ms": _DAY_MS,
    },
}
"""Topic-level settings given when a service creates a topic (the broker's defaults
elsewhere). Compose's ``kafka-init`` and docs/operations.md apply the same to a
cluster whose topics exist already."""


def dead_letter_topic(topic: str) -> str:
    """Where events that cannot be processed on ``topic`` are parked."""
    return f"{topic}.dlq"


def make_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    """``acks=all``; idempotence only where the broker supports it (a setting)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=5,
        request_timeout_ms=int(settings.kafka_request_timeout_s * 1000),
        retry_backoff_ms=200,
    )


async def ensure_topics(
    settings: ServiceSettings, topics: Iterable[str], *, replace_undersized: bool = False
) -> list[str]:
    """Create the topics that are missing; returns the ones created.

    Done before producing or subscribing so the development broker does not
    auto-create them with a single partition.

    Args:
        settings: Broker address, partitions and replication wanted.
        topics: The topics.
        replace_undersized: Also delete and recreate topics that have fewer
            partitions than wanted. Only for recovery after the broker lost its
            data, by the service that produces to them: after a restart of the
            development broker, a client's request can auto-create a topic with
            too few partitions before the relay recreates it, and the events of
            keys hashed to the missing partitions could then never be delivered.
    """
    wanted = sorted(set(topics))
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=f"{settings.service_name}-admin",
        request_timeout_ms=int(settings.kafka_request_timeout_s * 1000),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t not in existing]
        if replace_undersized:
            undersized = await _undersized(admin, [t for t in wanted if t in existing], settings)
            if undersized:
                log.warning("topics_replaced_undersized", topics=undersized)
                await admin.delete_topics(undersized)
                await _until_gone(admin, undersized, settings.kafka_request_timeout_s)
                missing += undersized
        if not missing:
            return []
        return await _create(admin, sorted(missing), settings)
    finally:
        await admin.close()


async def _undersized(
    admin: AIOKafkaAdminClient, topics: list[str], settings: ServiceSettings
) -> list[str]:
    # Only topics known to exist are described: naming an unknown one would
    # make the development broker auto-create it.
    if not topics:
        return []
    described = await admin.describe_topics(topics)
    return sorted(
        entry["topic"]
        for entry in described
        if entry.get("error_code", 0) == 0 and len(entry["partitions"]) < settings.kafka_partitions
    )


async def _until_gone(admin: AIOKafkaAdminClient, topics: list[str], timeout_s: float) -> None:
    # Apache Kafka deletes a topic in the background; creating it again before
    # that finishes would be answered "already exists".
    deadline = time.monotonic() + timeout_s
    while set(topics) & set(await admin.list_topics()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics were not deleted in {timeout_s} s: {topics}")
        await asyncio.sleep(0.2)


async def _create(
    admin: AIOKafkaAdminClient, topics: list[str], settings: ServiceSettings
) -> list[str]:
    response = await admin.create_topics(
        [
            NewTopic(
                t,
                settings.kafka_partitions,
                settings.kafka_replication_factor,
                topic_configs=TOPIC_CONFIGS.get(t, {}),
            )
            for t in topics
        ]
    )
    created = []
    for topic, code, message in response.topic_errors:
        if code == 0:
            created.append(topic)
        elif code != TOPIC_ALREADY_EXISTS:
            raise RuntimeError(f"could not create topic {topic}: {code} {message}")
    if created:
        log.info("topics_created", topics=created)
    return created


class OffsetProbe:
    """Reads which topics exist and their end offsets, without joining a group."""

    def __init__(self, settings: ServiceSettings) -> None:
        self._settings = settings
        self._consumer: AIOKafkaConsumer | None = None

    async def _client(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._settings.kafka_bootstrap_servers,
                client_id=f"{self._settings.service_name}-probe",
                enable_auto_commit=False,
                request_timeout_ms=int(self._settings.kafka_request_timeout_s * 1000),
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def existing_topics(self) -> set[str]:
        """The topics the broker has (asked without naming any, so none is created)."""
        consumer = await self._client()
        metadata = await consumer._client.fetch_all_metadata()
        return set(metadata.topics())

    async def end_offsets(
        self, partitions: Iterable[tuple[str, int]]
    ) -> dict[tuple[str, int], int | None]:
        """End offset of each partition; None where the topic or partition is gone."""
        consumer = await self._client()
        # A metadata request for *all* topics: naming a topic would make the
        # development broker auto-create it and hide the loss.
        metadata = await consumer._client.fetch_all_metadata()
        result: dict[tuple[str, int], int | None] = {}
        present = []
        for topic, partition in partitions:
            known = metadata.partitions_for_topic(topic)
            if known is None or partition not in known:
                result[(topic, partition)] = None
            else:
                present.append(TopicPartition(topic, partition))
        if present:
            timeout = self._settings.kafka_request_timeout_s
            offsets = await asyncio.wait_for(consumer.end_offsets(present), timeout)
            for tp, offset in offsets.items():
                result[(tp.topic, tp.partition)] = offset
        return result

    async def close(self) -> None:
        """Close the client."""
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
