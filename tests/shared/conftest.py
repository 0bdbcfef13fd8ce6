"""The brokers the bus tests run on: the embedded one always, Apache Kafka where Docker runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.shared.ledger import LEDGER_SCHEMA, BusBroker, LedgerDbs, open_db


@pytest.fixture(
    params=[
        "tansu",
        # Pulling the image and starting Kafka adds to the test's own time.
        pytest.param("apache-kafka", marks=[pytest.mark.docker, pytest.mark.timeout(600)]),
    ]
)
def bus_broker(request: pytest.FixtureRequest) -> BusBroker:
    """A broker of the test's own: Tansu (idempotence off), or Apache Kafka (on)."""
    if request.param == "tansu":
        tansu = request.getfixturevalue("fresh_broker")
        return BusBroker("tansu", tansu.bootstrap_servers, idempotence=False)
    kafka = request.getfixturevalue("fresh_apache_kafka")
    return BusBroker(
        "apache-kafka", kafka.bootstrap_servers, idempotence=True, session_timeout_ms=10_000
    )


@pytest.fixture
async def ledger_dbs(tmp_path: Path) -> AsyncIterator[LedgerDbs]:
    """The producer's and the consumer's stores, closed afterwards, pass or fail."""
    producer_db = await open_db(tmp_path / "producer.sqlite3")
    consumer_db = await open_db(tmp_path / "consumer.sqlite3", LEDGER_SCHEMA)
    try:
        yield producer_db, consumer_db
    finally:
        await producer_db.close()
        await consumer_db.close()
