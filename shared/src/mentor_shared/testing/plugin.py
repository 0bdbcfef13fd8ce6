"""pytest fixtures every service's tests use: the embedded broker, Apache Kafka, MongoDB.

Registered as a pytest plugin by the shared package's entry point. The fixtures
that need a Docker engine skip, with the reason, where none answers; every test
that uses one is marked ``docker``, so ``pytest -m docker`` runs exactly those.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.containers import docker_reachable
from mentor_shared.testing.kafka import ApacheKafka, KafkaUnavailable, apache_kafka_container
from mentor_shared.testing.mongo import MongoUnavailable, mongo_replica_set

DOCKER_FIXTURES = frozenset(
    {"apache_kafka", "fresh_apache_kafka", "docker_mongodb_uri", "mongodb_uri"}
)
"""Fixtures backed by a container (``mongodb_uri`` unless ``MONGODB_URI`` is set)."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``docker`` every test that uses a container fixture.

    First, so that ``-m docker`` (applied by pytest's own hook) sees the marks.
    """
    for item in items:
        if DOCKER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[EmbeddedBroker]:
    """One Tansu broker for the whole session on a free 127.0.0.1 port."""
    broker = EmbeddedBroker().start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def fresh_broker() -> Iterator[EmbeddedBroker]:
    """A broker of the test's own, for tests that kill and restart it."""
    broker = EmbeddedBroker().start()
    try:
        yield broker
    finally:
        broker.stop()


def _apache_kafka_or_skip() -> Iterator[ApacheKafka]:
    try:
        with apache_kafka_container() as kafka:
            yield kafka
    except KafkaUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def apache_kafka() -> Iterator[ApacheKafka]:
    """One Apache Kafka (KRaft) container for the session; skips without Docker."""
    yield from _apache_kafka_or_skip()


@pytest.fixture
def fresh_apache_kafka() -> Iterator[ApacheKafka]:
    """An Apache Kafka container of the test's own: no topic or group of another test."""
    yield from _apache_kafka_or_skip()


@pytest.fixture(scope="session")
def docker_mongodb_uri() -> Iterator[str]:
    """A MongoDB replica set in Docker, never ``MONGODB_URI``; skips without Docker.

    For tests that write to fixed database names (a whole running system), which
    must not land in a MongoDB that ``MONGODB_URI`` names.
    """
    try:
        with mongo_replica_set() as uri:
            yield uri
    except MongoUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def mongodb_uri(request: pytest.FixtureRequest) -> str:
    """A MongoDB replica set: ``MONGODB_URI``, or a testcontainer; skips when neither."""
    explicit = os.environ.get("MONGODB_URI")
    if explicit:
        return explicit
    reason = docker_reachable()
    if reason:
        pytest.skip(f"MongoDB tests skipped: MONGODB_URI is unset and {reason}")
    uri: str = request.getfixturevalue("docker_mongodb_uri")
    return uri
