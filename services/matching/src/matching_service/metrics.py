"""The matching service's own figures on ``/metrics``: the size of its search index."""

from __future__ import annotations

from prometheus_client import Gauge

from matching_service.service.matcher import IndexStatus

INDEX_PROFILES = Gauge("mentor_index_profiles", "Profiles in the search index, by space", ["space"])


def refresh_index_metrics(status: IndexStatus) -> None:
    """Set the index gauges from the matcher's current totals."""
    INDEX_PROFILES.labels(space="all").set(status.profiles)
    INDEX_PROFILES.labels(space="offers").set(status.offers)
    INDEX_PROFILES.labels(space="seeks").set(status.seeks)
