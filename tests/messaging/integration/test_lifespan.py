"""The app's lifespan on the real broker: what a start cut short leaves behind."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from mentor_shared.bus.consumer import EventConsumer
from mentor_shared.events.schemas import PROFILE_TOPIC
from mentor_shared.runtime import ServiceRuntime
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import wait_for
from mentor_shared.testing.tokens import TokenMaker
from mentor_shared.web.serving import serving
from messaging_service.api.app import create_messaging_app
from messaging_service.bootstrap import bootstrap
from tests.messaging.conftest import messaging_settings

BUS_TASKS = ("outbox-", "consumer-")


def bus_tasks() -> list[str]:
    """The relay's and the consumers' tasks still running in this loop."""
    return [
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name().startswith(BUS_TASKS) and not task.done()
    ]


def consumers_starting() -> list[asyncio.Task[object]]:
    """Consumer starts still under way in this loop."""
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "EventConsumer.start" and not task.done()
    ]


async def assert_store_closed(store_ping: object) -> None:
    assert callable(store_ping)
    with pytest.raises(RuntimeError, match="not open"):
        await store_ping()


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
    with pytest.raises(asyncio.CancelledError):
        await starting

    assert bus_tasks() == []
    assert consumers_starting() == []
    await assert_store_closed(app.state.messaging.runtime.store.ping)


def beside_messagings_own(
    kind: type[EventConsumer], runtime: ServiceRuntime, group: str = ""
) -> EventConsumer:
    """A consumer of ``kind`` in a group of its own, applying what messaging's first does."""
    return kind(
        runtime.settings,
        group_id=group or kind.__name__,
        topics=[PROFILE_TOPIC],
        handler=runtime.consumers[0]._handler,
        uow_factory=runtime.uow_factory,
    )


class ConsumerThatCannotStart(EventConsumer):
    """A consumer whose group cannot be joined (say, the broker refuses it)."""

    async def start(self) -> None:
        await asyncio.sleep(0.2)
        raise RuntimeError("cannot join the group")


async def test_a_consumer_that_cannot_start_leaves_no_other_consumer_starting_or_running(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = messaging_settings(embedded_broker.bootstrap_servers, tmp_path)
    app = create_messaging_app(settings)
    app.state.key_set = TokenMaker().key_set()
    context = await bootstrap(settings)
    runtime = context.runtime
    assert runtime.consumers, "messaging's own consumers take seconds to join"
    runtime.consumers.append(beside_messagings_own(ConsumerThatCannotStart, runtime))

    with pytest.raises(RuntimeError, match="cannot join the group"):
        async with serving(app, runtime):
            raise AssertionError("the start should have failed")

    # Nothing may go on joining a group, or consuming, against a closed store.
    assert consumers_starting() == []
    assert bus_tasks() == []
    await assert_store_closed(runtime.store.ping)


class ConsumerThatCannotStop(EventConsumer):
    """A consumer that starts at once and fails to leave its group."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        raise RuntimeError(f"{self.group_id} cannot leave the group")


async def test_consumers_that_cannot_stop_still_let_the_relay_stop_and_the_store_close(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = messaging_settings(embedded_broker.bootstrap_servers, tmp_path)
    runtime = (await bootstrap(settings)).runtime
    runtime.consumers = [
        beside_messagings_own(ConsumerThatCannotStop, runtime, group)
        for group in ("first", "second")
    ]
    await runtime.start()
    assert "outbox-publish" in bus_tasks()

    with capture_logs() as logs, pytest.raises(RuntimeError, match=r"^first cannot leave"):
        await runtime.stop()
    assert bus_tasks() == []
    await assert_store_closed(runtime.store.ping)
    failed = [entry["step"] for entry in logs if entry["event"] == "runtime_stop_failed"]
    assert failed == ["consumer first", "consumer second"]
