"""The bus's figures on each service's ``/metrics``: outbox backlog, consumer lag, dead letters.

Gauges are set when Prometheus scrapes (:func:`refresh_bus_metrics`, called by
the ``/metrics`` route through ``app.state.metrics_refreshers``), from the
outbox's counts and each consumer's positions, so they are as fresh as the
scrape. Dead letters are counted as they happen. The alert rules in
``deploy/observability/alerts.yml`` and the dashboard next to them use these names.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

from mentor_shared.bus.records import OutboxCounts, OutboxRecord

if TYPE_CHECKING:
    from mentor_shared.bus.consumer import EventConsumer

OUTBOX_UNSENT = Gauge(
    "mentor_outbox_unsent_events", "Events written to the outbox and not yet on the broker"
)
OUTBOX_OLDEST_UNSENT_AGE = Gauge(
    "mentor_outbox_oldest_unsent_age_seconds",
    "Age of the oldest event not yet on the broker (0 when none is waiting)",
)
OUTBOX_PUBLISHED = Gauge(
    "mentor_outbox_published_events", "Events the relay has put on the broker since start"
)
CONSUMER_LAG = Gauge(
    "mentor_consumer_lag_records",
    "Records on the broker a consumer group has not processed yet",
    ["group", "topic", "partition"],
)
CONSUMER_APPLIED = Gauge(
    "mentor_consumer_applied_events", "Events a consumer group applied since start", ["group"]
)
DEAD_LETTERED = Counter(
    "mentor_consumer_dead_lettered",
    "Events a consumer group gave up on and sent to the dead-letter topic",
    ["group", "topic"],
)


EVENTS_PUBLISHED = Counter(
    "mentor_events_published",
    "Events the relay put on the broker, by event type (the match funnel is "
    "match.requested, match.accepted, match.declined, match.expired)",
    ["type"],
)


def record_published(records: Sequence[OutboxRecord]) -> None:
    """Count published events by their ``event_type`` header (tombstones have none)."""
    for record in records:
        for name, value in record.headers:
            if name == "event_type":
                EVENTS_PUBLISHED.labels(type=value.decode(errors="replace")).inc()
                break


def record_dead_letter(group: str, topic: str) -> None:
    """Count one event sent to the dead-letter topic of ``topic`` by ``group``."""
    DEAD_LETTERED.labels(group=group, topic=topic).inc()


def refresh_bus_metrics(
    counts: OutboxCounts,
    published: int,
    consumers: Sequence[EventConsumer],
    now: float | None = None,
) -> None:
    """Set the outbox and consumer gauges from the current figures."""
    now = time.time() if now is None else now
    OUTBOX_UNSENT.set(counts.unsent)
    oldest = counts.oldest_unsent_at
    OUTBOX_OLDEST_UNSENT_AGE.set(max(0.0, now - oldest) if oldest is not None else 0.0)
    OUTBOX_PUBLISHED.set(published)
    for consumer in consumers:
        CONSUMER_APPLIED.labels(group=consumer.group_id).set(consumer.progress.applied)
        for key, partition in consumer.progress.partitions.items():
            topic, _, number = key.rpartition(":")
            CONSUMER_LAG.labels(group=consumer.group_id, topic=topic, partition=number).set(
                partition.lag
            )
