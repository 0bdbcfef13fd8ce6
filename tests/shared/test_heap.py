"""Settling long-lived objects out of the cyclic collector's full passes."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mentor_shared.heap import HeapSettler, settle_long_lived, settle_new
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
    gone = weakref.ref(cycle)
    del cycle
    settle_new()
    assert gone() is None


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


def test_a_settled_object_that_becomes_garbage_is_freed_by_the_next_full_settling() -> None:
    """An old matcher after a rebuild: settled while in use, garbage in a cycle after."""
    held = Held()
    held.itself = held  # type: ignore[attr-defined]
    gone = weakref.ref(held)
    settle_new()
    del held
    settle_new()
    assert gone() is not None, "a settling of new objects leaves settled ones alone"
    settle_long_lived()
    assert gone() is None


def test_every_tenth_settling_is_a_full_one() -> None:
    settler = HeapSettler(every=1, full_every=3)
    held = Held()
    held.itself = held  # type: ignore[attr-defined]
    gone = weakref.ref(held)
    assert settler.changed(1)
    del held
    assert settler.changed(1)
    assert gone() is not None
    assert settler.changed(1)
    assert gone() is None


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
