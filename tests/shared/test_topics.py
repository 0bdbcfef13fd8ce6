"""Topic creation on the real embedded broker, including recovery's replacement of
topics that came back with too few partitions."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from mentor_shared.bus.kafka import ensure_topics
from mentor_shared.settings import ServiceSettings
from mentor_shared.testing.broker import EmbeddedBroker

pytestmark = pytest.mark.broker


@pytest.fixture
async def admin(embedded_broker: EmbeddedBroker) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=embedded_broker.bootstrap_servers)
    await client.start()
    try:
        yield client
    finally:
        await client.close()


async def partitions(admin: AIOKafkaAdminClient, topic: str) -> int:
    (described,) = await admin.describe_topics([topic])
    return len(described["partitions"])


def settings(broker: EmbeddedBroker) -> ServiceSettings:
    return ServiceSettings(
        service_name="topics-test",
        environment="test",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        kafka_partitions=6,
    )


async def test_missing_topics_are_created_with_the_configured_partitions(
    embedded_broker: EmbeddedBroker, admin: AIOKafkaAdminClient
) -> None:
    topic = f"fresh-{uuid.uuid4().hex[:8]}"

    assert await ensure_topics(settings(embedded_broker), [topic]) == [topic]

    assert await partitions(admin, topic) == 6
    assert await ensure_topics(settings(embedded_broker), [topic]) == []


async def test_an_undersized_topic_is_left_alone_unless_recovery_asks_to_replace_it(
    embedded_broker: EmbeddedBroker, admin: AIOKafkaAdminClient
) -> None:
    topic = f"small-{uuid.uuid4().hex[:8]}"
    await admin.create_topics([NewTopic(topic, 2, 1)])

    assert await ensure_topics(settings(embedded_broker), [topic]) == []
    assert await partitions(admin, topic) == 2

    replaced = await ensure_topics(settings(embedded_broker), [topic], replace_undersized=True)

    assert replaced == [topic]
    assert await partitions(admin, topic) == 6


async def test_the_profile_and_account_topics_are_created_compacted(
    fresh_broker: EmbeddedBroker,
) -> None:
    # The embedded broker never compacts; what it can show is the configuration a
    # service asks for, which Apache Kafka would apply.
    await ensure_topics(settings(fresh_broker), ["profile", "account", "match"])
    client = AIOKafkaAdminClient(bootstrap_servers=fresh_broker.bootstrap_servers)
    await client.start()
    try:
        (response,) = await client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name) for name in ("profile", "account")]
        )
    finally:
        await client.close()
    configs = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}
        for resource in response.resources
    }
    assert configs["profile"]["cleanup.policy"] == "compact"
    assert configs["account"]["cleanup.policy"] == "compact,delete"
    assert configs["account"]["retention.ms"] == "604800000"
