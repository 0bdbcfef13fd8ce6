"""The bus gauges on /metrics: outbox backlog and age, set from the outbox's counts."""

from __future__ import annotations

from prometheus_client import REGISTRY

from mentor_shared.bus.metrics import record_dead_letter, record_published, refresh_bus_metrics
from mentor_shared.bus.records import OutboxCounts, OutboxRecord


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_outbox_gauges_follow_the_counts() -> None:
    refresh_bus_metrics(OutboxCounts(unsent=7, retained=3, oldest_unsent_at=1000.0), 12, [], 1090.0)
    assert sample("mentor_outbox_unsent_events") == 7
    assert sample("mentor_outbox_oldest_unsent_age_seconds") == 90
    assert sample("mentor_outbox_published_events") == 12

    refresh_bus_metrics(OutboxCounts(unsent=0, retained=10), 19, [], 2000.0)
    assert sample("mentor_outbox_unsent_events") == 0
    assert sample("mentor_outbox_oldest_unsent_age_seconds") == 0


def test_dead_letters_are_counted_by_group_and_topic() -> None:
    before = sample("mentor_consumer_dead_lettered_total", group="g-test", topic="t-test") or 0
    record_dead_letter("g-test", "t-test")
    after = sample("mentor_consumer_dead_lettered_total", group="g-test", topic="t-test")
    assert after == before + 1


def test_published_events_are_counted_by_type_and_tombstones_are_not() -> None:
    before = sample("mentor_events_published_total", type="match.accepted") or 0
    accepted = OutboxRecord(1, "e1", "matches", "m1", b"{}", (("event_type", b"match.accepted"),))
    tombstone = OutboxRecord(2, "e2", "matches", "m1", None, ())
    record_published([accepted, accepted, tombstone])
    assert sample("mentor_events_published_total", type="match.accepted") == before + 2
