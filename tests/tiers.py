"""The test tiers: which tests are ``unit`` (``make test-unit``) and which need more.

A test's tier follows from what it uses, not from the folder it lives in: the fixtures
in its closure say whether it needs the broker, a running system, a browser or Docker,
so a test keeps its tier wherever it moves. Where no fixture can tell (a module that
loads the real embedding model itself), the module says so with a marker
(``pytestmark = pytest.mark.model``). Every test that needs none of these is marked
``unit``.

Registered by ``tests/conftest.py``. At run time it also refuses a ``unit`` test that
sets up one of those fixtures by ``request.getfixturevalue``, which no collection can
see.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from mentor_shared.testing.plugin import DOCKER_FIXTURES

FIXTURE_MARKERS: dict[str, str] = {
    "embedded_broker": "broker",
    "fresh_broker": "broker",
    "running_system": "server",
    "running_system_on_kafka_and_mongodb": "server",
    "browser": "browser",
    **dict.fromkeys(DOCKER_FIXTURES, "docker"),
}
"""Fixtures that start something a unit test must not need, and the marker each gives."""

NOT_UNIT = ("broker", "server", "model", "browser", "docker", "slow")
"""Markers that keep a test out of the unit tier, set by fixture or by hand."""

UNIT_EXPRESSION = "unit"
"""What ``make test-unit`` selects with ``-m``."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test by the fixtures it uses, then ``unit`` if nothing keeps it out.

    First, so that ``-m`` (applied by pytest's own hook) sees the marks.
    """
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        for marker in sorted({FIXTURE_MARKERS[name] for name in used & FIXTURE_MARKERS.keys()}):
            item.add_marker(marker)
        if not any(item.get_closest_marker(name) for name in NOT_UNIT):
            item.add_marker(pytest.mark.unit)


_running: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Remember which test is running, for the fixture check below."""
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object]) -> None:
    """Fail a ``unit`` test that sets up a broker, system, browser or Docker fixture."""
    marker = FIXTURE_MARKERS.get(fixturedef.argname)
    if marker is None or not _running:
        return
    item = _running[-1]
    if item.get_closest_marker("unit") is not None:
        pytest.fail(
            f"{item.nodeid} is in the unit tier but sets up {fixturedef.argname}: "
            f"mark it {marker} (pytest.mark.{marker}) or request the fixture as an argument",
            pytrace=False,
        )
