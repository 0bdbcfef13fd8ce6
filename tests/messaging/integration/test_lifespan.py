"""The app's lifespan on the real broker: what a start cut short leaves behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import wait_for
from mentor_shared.testing.tokens import TokenMaker
from messaging_service.api.app import create_messaging_app
from tests.messaging.conftest import messaging_settings

BUS_TASKS = ("outbox-", "consumer-")


def bus_tasks() -> list[str]:
    """The relay's and the consumers' tasks still running in this loop."""
    return [
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name().startswith(BUS_TASKS) and not task.done()
    ]


async def test_a_start_cancelled_part_way_stops_the_relay_it_had_started(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    # Ctrl-C while the consumers wait to join their groups (seconds on this broker):
    # the relay is already publishing, and the store is open.
    app = create_messaging_app(messaging_settings(embedded_broker.bootstrap_servers, tmp_path))
    app.state.key_set = TokenMaker().key_set()

    async def serve() -> None:
        async with app.router.lifespan_context(app):
            raise AssertionError("the start should have been cancelled before it ended")

    starting = asyncio.create_task(serve())
    await wait_for(lambda: "outbox-publish" in bus_tasks(), timeout=30)
    assert not any(name.startswith("consumer-") for name in bus_tasks()), bus_tasks()
    starting.cancel()
    await asyncio.gather(starting, return_exceptions=True)

    assert bus_tasks() == []
    with pytest.raises(RuntimeError, match="not open"):
        await app.state.messaging.runtime.store.ping()
