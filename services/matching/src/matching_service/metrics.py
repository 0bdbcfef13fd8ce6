"""The matching service's own figures on ``/metrics``: its search index and the match funnel.

Set when Prometheus scrapes (the app's ``metrics_refreshers``), so they are as fresh
as the scrape:

- ``mentor_index_profiles``: profiles in the index, by vector space.
- ``mentor_index_pending_events``: profile events on the broker that the index has
  not applied yet (the index consumer's lag, as ``GET /v1/index/status`` says it).
- ``mentor_index_lag_seconds``: while events wait, how old the index's picture of the
  profiles is: the seconds since the newest event it applied was produced (since the
  consumer started, when it has applied none). 0 when nothing waits, so a quiet day
  with no profile changes is not lag. Events on other partitions may be older than
  the newest applied one: the figure is how long the index has been behind, give or
  take the spread between partitions.
- ``mentor_index_last_event_timestamp_seconds``: when the newest applied event was
  produced (Unix time; 0 before the first).

The match funnel is the bus's ``mentor_events_published_total`` by ``type``
(``match.requested``, ``match.accepted``, ``match.declined``, ``match.expired``: an
unanswered request that reached ``REQUEST_EXPIRY_DAYS`` is a ``match.expired`` event).
:func:`expose_match_funnel` makes the four series exist at 0 from the start, so a
rate over them is 0, not missing, until the first of each.
"""

from __future__ import annotations

import time

from prometheus_client import Gauge

from matching_service.service.matcher import IndexStatus
from matching_service.service.ports import AppliedEvent
from mentor_shared.bus.metrics import EVENTS_PUBLISHED
from mentor_shared.events.schemas import MatchAccepted, MatchDeclined, MatchExpired, MatchRequested

INDEX_PROFILES = Gauge("mentor_index_profiles", "Profiles in the search index, by space", ["space"])
INDEX_PENDING = Gauge(
    "mentor_index_pending_events",
    "Profile events on the broker the search index has not applied yet",
)
INDEX_LAG = Gauge(
    "mentor_index_lag_seconds",
    "While profile events wait, seconds since the newest applied one was produced (else 0)",
)
INDEX_LAST_EVENT = Gauge(
    "mentor_index_last_event_timestamp_seconds",
    "When the newest profile event applied to the index was produced (Unix time)",
)
FUNNEL = tuple(
    event.event_type for event in (MatchRequested, MatchAccepted, MatchDeclined, MatchExpired)
)
"""The match funnel's event types, in order."""


def expose_match_funnel() -> None:
    """Create the funnel's series of ``mentor_events_published_total`` (at 0 until counted)."""
    for event_type in FUNNEL:
        EVENTS_PUBLISHED.labels(type=event_type)


def refresh_index_metrics(
    status: IndexStatus,
    *,
    pending: int,
    last_event: AppliedEvent | None,
    waiting_since: float,
    now: float | None = None,
) -> None:
    """Set the index gauges.

    Args:
        status: The matcher's totals.
        pending: Profile events on the broker not yet applied (the consumer's lag).
        last_event: The newest event applied to the index, if any.
        waiting_since: When the index began waiting for events (the consumer's start):
            the lag's origin before any event is applied.
        now: The time to measure from (tests).
    """
    now = time.time() if now is None else now
    INDEX_PROFILES.labels(space="all").set(status.profiles)
    INDEX_PROFILES.labels(space="offers").set(status.offers)
    INDEX_PROFILES.labels(space="seeks").set(status.seeks)
    INDEX_PENDING.set(pending)
    newest = last_event.occurred_at.timestamp() if last_event is not None else None
    INDEX_LAST_EVENT.set(newest or 0.0)
    behind_from = newest if newest is not None else waiting_since
    INDEX_LAG.set(max(0.0, now - behind_from) if pending > 0 else 0.0)
