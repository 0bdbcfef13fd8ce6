"""deploy/observability: the alert rules parse, and every metric they and the dashboard
name is on the services' /metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import System

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
ALERTS = OBSERVABILITY / "alerts.yml"
DASHBOARD = OBSERVABILITY / "dashboard.json"
DURATION = re.compile(r"^\d+(ms|s|m|h|d|w|y)$")
METRIC = re.compile(r"\b(?:mentor|http)_[a-z0-9_]+\b")
SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created")


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    return [rule["expr"] for rule in rules()] + panels


def test_alert_rules_have_the_shape_prometheus_loads() -> None:
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"}
    names = [group["name"] for group in document["groups"]]
    assert len(names) == len(set(names))
    for group in document["groups"]:
        assert set(group) == {"name", "rules"}
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", rule["alert"])
            assert isinstance(rule["expr"], str)
            assert METRIC.search(rule["expr"])
            assert "for" not in rule or DURATION.match(rule["for"]), rule["for"]
            assert rule["labels"]["severity"] in {"page", "ticket"}
            assert rule["annotations"]["summary"]
    alerts = {rule["alert"] for rule in rules()}
    # What operators asked to be woken for: a stuck outbox, growing lag, failing
    # email, anything in a dead-letter topic.
    assert {
        "OutboxStuck",
        "ConsumerLagGrowing",
        "EmailsFailing",
        "DeadLetterQueueNotEmpty",
        "SearchIndexLagging",
    } <= alerts


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_alert_rules() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_panels_have_queries() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["uid"]
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"]
        assert all(METRIC.search(t["expr"]) for t in panel["targets"])


def exposed_names(text: str) -> set[str]:
    """Metric family names and sample names in a Prometheus exposition."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def is_exposed(name: str, exposed: set[str]) -> bool:
    if name in exposed:
        return True
    return any(name.endswith(suffix) and name[: -len(suffix)] in exposed for suffix in SUFFIXES)


@pytest.mark.broker
@pytest.mark.slow
def test_every_metric_named_in_the_rules_and_dashboard_is_exposed(
    running_system: System,
) -> None:
    exposed: set[str] = set()
    for service in ("profile", "matching", "messaging", "notifications"):
        response = httpx.get(running_system.url(service) + "/metrics", timeout=30)
        assert response.status_code == 200
        exposed |= exposed_names(response.text)
    named = {name for expr in expressions() for name in METRIC.findall(expr)}
    assert named
    missing = sorted(name for name in named if not is_exposed(name, exposed))
    assert not missing, f"named in deploy/observability but on no /metrics: {missing}"


@pytest.mark.broker
@pytest.mark.slow
def test_matching_metrics_show_index_lag_and_the_whole_match_funnel(
    running_system: System,
) -> None:
    response = httpx.get(running_system.url("matching") + "/metrics", timeout=30)
    assert response.status_code == 200
    exposed = exposed_names(response.text)
    for name in (
        "mentor_index_profiles",
        "mentor_index_pending_events",
        "mentor_index_lag_seconds",
        "mentor_index_last_event_timestamp_seconds",
    ):
        assert name in exposed, name
    # Countable from the first scrape, before any request has expired.
    for event_type in ("match.requested", "match.accepted", "match.declined", "match.expired"):
        assert f'mentor_events_published_total{{type="{event_type}"}}' in response.text
