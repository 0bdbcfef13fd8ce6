"""Settling long-lived objects out of the cyclic collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mentor_shared.heap import HeapSettler, settle_long_lived
from mentor_shared.settings import ServiceSettings
from mentor_shared.web.app import create_app


class Held:
    """Something a service keeps for as long as it runs."""


def walked_by_the_collector(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_a_settled_object_is_no_longer_walked_by_full_collections() -> None:
    held = Held()
    assert walked_by_the_collector(held)
    settle_long_lived()
    assert not walked_by_the_collector(held)


def test_settling_first_collects_garbage_so_none_is_kept_for_good() -> None:
    cycle = Held()
    cycle.itself = cycle  # type: ignore[attr-defined]
    collected: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected.append(str(info["collected"]))

    del cycle
    gc.callbacks.append(note)
    try:
        settle_long_lived()
    finally:
        gc.callbacks.remove(note)
    assert any(count != "0" for count in collected)
    assert not [o for o in gc.get_objects() if isinstance(o, Held)]


def test_the_settler_waits_for_enough_changes_then_settles_what_was_made() -> None:
    settler = HeapSettler(every=3)
    first = Held()
    assert not settler.changed(2)
    assert walked_by_the_collector(first)
    assert settler.changed(1)
    assert not walked_by_the_collector(first)
    # The count starts again after settling.
    second = Held()
    assert not settler.changed(2)
    assert walked_by_the_collector(second)


def test_a_settled_object_that_becomes_garbage_is_freed_by_the_next_settling() -> None:
    """An old matcher after a rebuild: settled while in use, garbage in a cycle after."""
    held = Held()
    held.itself = held  # type: ignore[attr-defined]
    settle_long_lived()
    del held
    settle_long_lived()
    gc.unfreeze()
    assert not [o for o in gc.get_objects() if isinstance(o, Held)]


def test_a_service_settles_what_its_start_up_made() -> None:
    made: list[Held] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        made.append(Held())
        yield

    app = create_app(
        ServiceSettings(service_name="heap-test", environment="test"),
        title="t",
        version="1",
        lifespan=lifespan,
        routers=[],
    )
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert not walked_by_the_collector(made[0])
