"""Test helpers every service's tests share: publish events as another service
would, and wait for an outcome that arrives through the bus."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiokafka import AIOKafkaProducer

from mentor_shared.events import REGISTRY, new_event
from mentor_shared.events.envelope import EventData

T = TypeVar("T")


async def publish(
    bootstrap_servers: str,
    *payloads: EventData,
    subject: str | None = None,
    source: str = "test",
) -> None:
    """Publish events as their producing service would (a plain producer, ``acks=all``).

    Args:
        bootstrap_servers: The broker.
        payloads: The events, published in order on their own topics.
        subject: The envelope's subject and key; by default each payload's
            ``profile_id`` (as the profile service keys its events).
        source: The envelope's ``source``.
    """
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        for payload in payloads:
            key = subject or str(getattr(payload, "profile_id", "subject"))
            envelope = new_event(payload, subject=key, source=source)
            topic = REGISTRY.spec(envelope.type, envelope.version).topic
            await producer.send_and_wait(topic, envelope.to_bytes(), key=key.encode())
    finally:
        await producer.stop()


async def wait_for(
    check: Callable[[], Awaitable[T] | T],
    *,
    timeout: float = 20.0,  # noqa: ASYNC109 (the helper's own deadline)
    interval: float = 0.05,
) -> T:
    """Call ``check`` (plain or async) until it returns something truthy, and return that.

    Raises:
        AssertionError: Nothing truthy within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)
