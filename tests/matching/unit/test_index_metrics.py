"""Matching's /metrics figures: index lag (pending events and seconds behind) and the
match funnel, expiries included."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import REGISTRY, generate_latest

from matching_service.metrics import FUNNEL, expose_match_funnel, refresh_index_metrics
from matching_service.service.matcher import IndexStatus
from matching_service.service.ports import AppliedEvent
from mentor_shared.bus.metrics import record_published
from mentor_shared.bus.records import OutboxRecord

STATUS = IndexStatus(profiles=3, offers=2, seeks=3)
PRODUCED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
APPLIED = AppliedEvent(id="e1", type="profile.upserted", occurred_at=PRODUCED)


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_index_lag_is_the_age_of_the_newest_applied_event_while_events_wait() -> None:
    now = PRODUCED.timestamp() + 42
    refresh_index_metrics(STATUS, pending=5, last_event=APPLIED, waiting_since=0.0, now=now)
    assert sample("mentor_index_pending_events") == 5
    assert sample("mentor_index_lag_seconds") == 42
    assert sample("mentor_index_last_event_timestamp_seconds") == PRODUCED.timestamp()
    assert sample("mentor_index_profiles", space="offers") == 2


def test_a_caught_up_index_has_no_lag_however_old_its_last_event() -> None:
    a_week_later = PRODUCED.timestamp() + 7 * 86400
    refresh_index_metrics(
        STATUS, pending=0, last_event=APPLIED, waiting_since=0.0, now=a_week_later
    )
    assert sample("mentor_index_pending_events") == 0
    assert sample("mentor_index_lag_seconds") == 0


def test_before_any_event_is_applied_the_lag_counts_from_the_consumers_start() -> None:
    refresh_index_metrics(STATUS, pending=900, last_event=None, waiting_since=1000.0, now=1030.0)
    assert sample("mentor_index_lag_seconds") == 30
    assert sample("mentor_index_last_event_timestamp_seconds") == 0


def test_the_match_funnel_is_on_metrics_from_the_start_expiries_included() -> None:
    expose_match_funnel()
    exposition = generate_latest(REGISTRY).decode()
    assert FUNNEL == ("match.requested", "match.accepted", "match.declined", "match.expired")
    for event_type in FUNNEL:
        assert f'mentor_events_published_total{{type="{event_type}"}}' in exposition
    before = sample("mentor_events_published_total", type="match.expired")
    assert before is not None
    expired = OutboxRecord(1, "e9", "matches", "m9", b"{}", (("event_type", b"match.expired"),))
    record_published([expired])
    assert sample("mentor_events_published_total", type="match.expired") == before + 1
