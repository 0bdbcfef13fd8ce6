"""The notifications service's own figures on ``/metrics``: email and webhook outcomes."""

from __future__ import annotations

from prometheus_client import Counter

DELIVERIES = Counter(
    "mentor_deliveries",
    "Email and webhook delivery attempts by outcome: delivered, retrying, failed "
    "(email, for good) or parked (webhook, for good)",
    ["channel", "outcome"],
)
for _channel in ("email", "webhook"):
    # Present from the start, so that rates and alerts see zero rather than nothing.
    DELIVERIES.labels(channel=_channel, outcome="delivered")


def record_delivery(channel: str, outcome: str) -> None:
    """Count one attempt to deliver on ``channel`` (``email``, ``webhook``).

    ``outcome`` is ``delivered`` or the state a failure left the job in; ``pending``
    (it will be tried again) is counted as ``retrying``.
    """
    outcome = "retrying" if outcome == "pending" else outcome
    DELIVERIES.labels(channel=channel, outcome=outcome).inc()
