"""The web frontend's public port, as `make run` starts it, seen from outside.

The public site describes nothing about the system: no Prometheus metrics, and a
readiness answer without the checks' names, paths or errors. Each test failed on
the code before the change.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import System

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_the_public_web_port_serves_no_metrics(running_system: System) -> None:
    answer = httpx.get(running_system.url("web") + "/metrics", timeout=30)
    assert answer.status_code == 404
    assert "python_gc_objects_collected_total" not in answer.text
    assert "Page not found" in answer.text


def test_the_public_web_port_says_ready_or_not_and_nothing_more(running_system: System) -> None:
    answer = httpx.get(running_system.url("web") + "/readyz", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready"}
