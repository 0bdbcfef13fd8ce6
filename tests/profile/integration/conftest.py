"""One profile service (SQLite in a temp folder, the real embedded broker) per module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from mentor_shared.testing.broker import EmbeddedBroker
from tests.profile.helpers import EventReader, profile_settings, running_app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    data_dir: Path = tmp_path_factory.mktemp("profile")
    settings = profile_settings(embedded_broker.bootstrap_servers, data_dir)
    async with running_app(settings) as started:
        yield started


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(service: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return service[1]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reader(embedded_broker: EmbeddedBroker) -> AsyncIterator[EventReader]:
    events = await EventReader(embedded_broker.bootstrap_servers, ["account", "profile"]).start()
    yield events
    await events.stop()
