"""Helpers for the profile service's tests: a started app, an event reader, sign-up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI

from mentor_shared.events.envelope import Envelope
from mentor_shared.limits import Limit
from mentor_shared.testing.events import wait_for
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings
from tests.sealing import SEAL_KEY, SEALER

ADMIN_EMAIL = "admin@cabinetoffice.gov.uk"
ADMIN_PASSWORD = "correct horse battery staple admin"
PASSWORD = "plum kettle orbit lantern"


class MemoryRateLimiter:
    """The rate limiter port in process memory, for tests that do not exercise limits.

    The service itself always counts in its store (``mentor_shared.limits``).
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    async def hit(self, limit: Limit, key: str) -> float | None:
        count = self.counts.get((limit.name, key), 0) + 1
        self.counts[(limit.name, key)] = count
        return None if count <= limit.count else limit.window_s

    async def reset(self, limit: Limit, key: str) -> None:
        self.counts.pop((limit.name, key), None)


def token_of(event: Envelope) -> str:
    """The single-use token an account event carries sealed."""
    return SEALER.open(event.data["sealed_token"])


def profile_settings(bootstrap_servers: str, data_dir: Path, **extra: Any) -> ProfileSettings:
    """Settings for a test instance on its own data folder."""
    return ProfileSettings.model_validate(
        {
            "environment": "test",
            "data_dir": data_dir,
            "kafka_bootstrap_servers": bootstrap_servers,
            "admin_email": ADMIN_EMAIL,
            "admin_password": ADMIN_PASSWORD,
            "broker_recovery_settle_s": 0.5,
            "event_seal_key": SEAL_KEY,
            **extra,
        }
    )


@asynccontextmanager
async def running_app(
    settings: ProfileSettings,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app with its lifespan running, and a client speaking to it in process."""
    app = create_profile_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profile") as client:
            yield app, client


@dataclass
class EventReader:
    """Reads every event on some topics from the start, in the background."""

    bootstrap_servers: str
    topics: list[str]
    events: list[Envelope] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    tombstones: list[tuple[str, str]] = field(default_factory=list)
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None

    async def start(self) -> EventReader:
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.bootstrap_servers,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,
            metadata_max_age_ms=500,
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        assert self._consumer is not None
        async for record in self._consumer:
            if record.value is None:  # (topic, key) of a null-value record
                self.tombstones.append((record.topic, record.key.decode()))
                continue
            self.raw.append(record.value)
            self.events.append(Envelope.from_bytes(record.value))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer:
            await self._consumer.stop()

    async def wait_for(
        self, predicate: Callable[[Envelope], bool], timeout: float = 15.0
    ) -> Envelope:
        """The first event read that meets ``predicate``, waiting up to ``timeout`` seconds."""
        event = await wait_for(
            lambda: next((event for event in self.events if predicate(event)), None),
            timeout=timeout,
            interval=0.02,
        )
        assert event is not None
        return event

    async def wait_for_tombstone(self, topic: str, key: str, timeout: float = 15.0) -> None:
        """Wait up to ``timeout`` seconds for a null-value record keyed ``key`` on ``topic``."""
        await wait_for(lambda: (topic, key) in self.tombstones, timeout=timeout, interval=0.02)

    def matching(self, predicate: Callable[[Envelope], bool]) -> list[Envelope]:
        return [event for event in self.events if predicate(event)]


async def sign_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/v1/auth/token", data={"username": email, "password": password})


async def register_verified(
    client: httpx.AsyncClient, reader: EventReader, email: str, name: str
) -> tuple[str, str]:
    """Register, verify through the emailed token, sign in: (account id, access token)."""
    response = await client.post(
        "/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert response.status_code == 201, response.text
    event = await reader.wait_for(
        lambda e: e.type == "account.verification_requested" and e.data["email"] == email
    )
    verified = await client.post("/v1/accounts/verify", json={"token": token_of(event)})
    assert verified.status_code == 200, verified.text
    tokens = await sign_in(client, email)
    assert tokens.status_code == 200, tokens.text
    return event.data["account_id"], tokens.json()["access_token"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
