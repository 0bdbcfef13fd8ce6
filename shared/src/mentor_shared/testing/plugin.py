"""pytest fixtures every service's tests use: the embedded broker and MongoDB.

Registered as a pytest plugin by the shared package's entry point.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.mongo import MongoUnavailable, mongo_replica_set


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


@pytest.fixture(scope="session")
def mongodb_uri() -> Iterator[str]:
    """A MongoDB replica set: ``MONGODB_URI``, or a testcontainer; skips when neither."""
    explicit = os.environ.get("MONGODB_URI")
    if explicit:
        yield explicit
        return
    try:
        with mongo_replica_set() as uri:
            yield uri
    except MongoUnavailable as exc:
        pytest.skip(str(exc))
