"""Webhook deliveries to real local HTTP receivers: Standard Webhooks signatures,
the address check at every delivery (DNS rebinding), pinning and redirects.

The delivery worker runs on a real SQLite file with the real httpx poster; the
receivers are uvicorn servers on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from standardwebhooks import Webhook

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.sealing import Sealer
from mentor_shared.storage.sqlite import SqliteDatabase
from mentor_shared.testing.broker import free_port
from notifications_service.adapters.sqlite_repository import (
    SQLITE_SCHEMA,
    SqliteNotificationsUnitOfWork,
)
from notifications_service.adapters.webhook_poster import HttpxWebhookPoster
from notifications_service.domain.model import (
    RetryPolicy,
    Subscription,
    WebhookDelivery,
    new_webhook_secret,
)
from notifications_service.domain.webhook_urls import IPAddress
from notifications_service.service import commands
from notifications_service.service.delivery import DeliveryConfig, DeliveryWorker
from notifications_service.service.webhook_guard import WebhookGuard
from tests.sealing import SEALER


@dataclass
class Receiver:
    """A department's endpoint: records each request and answers ``status``."""

    port: int = field(default_factory=free_port)
    status: int = 200
    location: str | None = None
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append((headers, body))
        extra = [(b"location", self.location.encode())] if self.location else []
        await send({"type": "http.response.start", "status": self.status, "headers": extra})
        await send({"type": "http.response.body", "body": b"{}"})


@dataclass
class Harness:
    db: SqliteDatabase

    def uow(self) -> SqliteNotificationsUnitOfWork:
        return SqliteNotificationsUnitOfWork(self.db)

    async def subscribe(self, url: str) -> Subscription:
        """A subscription as stored when it was registered (its URL passed then)."""
        subscription = Subscription(
            id=str(uuid.uuid4()),
            url=url,
            secret=new_webhook_secret(),
            created_at=datetime.now(UTC),
        )
        async with self.uow() as uow:
            await uow.subscriptions.add(subscription)
            await uow.commit()
        return subscription

    async def queue(self, subscription: Subscription, body: dict[str, Any]) -> WebhookDelivery:
        now = datetime.now(UTC)
        delivery = WebhookDelivery(
            id=str(uuid.uuid4()),
            subscription_id=subscription.id,
            body=json.dumps(body, separators=(",", ":")),
            created_at=now,
            next_attempt_at=now,
        )
        async with self.uow() as uow:
            await uow.webhook_deliveries.add(delivery, subject_id="mentee-1")
            await uow.commit()
        return delivery

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        row = await self.db.fetchone(
            "SELECT * FROM webhook_deliveries WHERE id = ?", (delivery_id,)
        )
        assert row is not None
        return dict(row)

    async def deliver(self, guard: WebhookGuard, sealer: Sealer | None = None) -> None:
        poster = HttpxWebhookPoster(guard, timeout_s=5)
        worker = DeliveryWorker(
            self.uow,
            NoEmail(),
            poster,
            DeliveryConfig(mail_from="test@test", webhook_retry=RetryPolicy(6, 30, 60)),
            sealer=sealer,
        )
        try:
            await worker.run_once()
        finally:
            await poster.close()


class NoEmail:
    async def send(self, job: object, *, mail_from: str) -> None:
        raise AssertionError("no email in these tests")


class FixedResolver:
    """A name service answering with chosen addresses (for a name no real DNS knows)."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        return list(self.answers)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    db = await SqliteDatabase(tmp_path / "n.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        yield Harness(db)
    finally:
        await db.close()


async def _serve(receiver: Receiver) -> AsyncIterator[Receiver]:
    server = uvicorn.Server(
        uvicorn.Config(receiver, host="127.0.0.1", port=receiver.port, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "receiver did not start"
        await asyncio.sleep(0.02)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async for running in _serve(Receiver()):
        yield running


@pytest.fixture
async def second_receiver() -> AsyncIterator[Receiver]:
    async for running in _serve(Receiver()):
        yield running


async def test_a_delivery_verifies_with_the_standard_webhooks_library(
    harness: Harness, receiver: Receiver
) -> None:
    subscription = await harness.subscribe(f"http://127.0.0.1:{receiver.port}/hook")
    assert subscription.secret.startswith("whsec_")
    body = {"id": "e1", "type": "match.accepted", "department": "DWP"}
    delivery = await harness.queue(subscription, body)

    await harness.deliver(WebhookGuard(allow_private=True))

    ((headers, raw),) = receiver.received
    # The receiving department's check, with the library as published.
    assert Webhook(subscription.secret).verify(raw, headers) == body
    assert headers["webhook-id"] == delivery.id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 60
    assert headers["webhook-signature"].startswith("v1,")
    assert "x-mentormatch-signature" not in headers
    with pytest.raises(Exception, match="signature"):
        Webhook(new_webhook_secret()).verify(raw, headers)
    stored = await harness.delivery(delivery.id)
    assert stored["state"] == "delivered"
    # Once delivered, no copy of the body nor whose event it was stays behind.
    assert stored["body"] == ""
    assert await harness.db.fetchall("SELECT * FROM webhook_delivery_subjects") == []


async def test_the_secret_is_stored_sealed_and_still_signs(
    harness: Harness, receiver: Receiver
) -> None:
    guard = WebhookGuard(allow_private=True)
    made = await commands.add_subscription(
        harness.uow(),
        guard,
        SEALER,
        url=f"http://127.0.0.1:{receiver.port}/hook",
        department=None,
        match_events=None,
    )
    assert made.secret.startswith("whsec_")
    (row,) = await harness.db.fetchall("SELECT secret FROM subscriptions")
    assert made.secret not in row["secret"]
    assert made.secret[6:] not in row["secret"]
    await harness.queue(made, {"id": "e6"})

    await harness.deliver(guard, SEALER)

    ((headers, raw),) = receiver.received
    assert Webhook(made.secret).verify(raw, headers) == {"id": "e6"}


async def test_a_name_that_resolves_to_loopback_at_delivery_is_refused(
    harness: Harness, receiver: Receiver
) -> None:
    # Registered while the name pointed outside; by delivery time it resolves to
    # 127.0.0.1 (``localhost`` does so through the system resolver).
    subscription = await harness.subscribe(f"https://localhost:{receiver.port}/hook")
    delivery = await harness.queue(subscription, {"id": "e2"})

    await harness.deliver(WebhookGuard(allow_private=False))

    assert receiver.received == []
    stored = await harness.delivery(delivery.id)
    assert stored["state"] == "pending"
    assert stored["attempts"] == 1
    assert stored["last_error"] == "refused: loopback"


async def test_allowing_private_addresses_delivers_to_a_local_name(
    harness: Harness, receiver: Receiver
) -> None:
    subscription = await harness.subscribe(f"http://localhost:{receiver.port}/hook")
    delivery = await harness.queue(subscription, {"id": "e3"})

    await harness.deliver(WebhookGuard(allow_private=True))

    ((headers, _),) = receiver.received
    assert headers["host"] == f"localhost:{receiver.port}"
    assert (await harness.delivery(delivery.id))["state"] == "delivered"


async def test_the_connection_goes_to_the_address_checked_not_a_second_lookup(
    harness: Harness, receiver: Receiver
) -> None:
    # No real name service knows this name: the request can only arrive if the
    # poster connects to the address the check resolved, keeping the name as Host.
    subscription = await harness.subscribe(f"http://hooks.mentor-match.test:{receiver.port}/h")
    delivery = await harness.queue(subscription, {"id": "e4"})

    await harness.deliver(WebhookGuard(allow_private=True, resolver=FixedResolver("127.0.0.1")))

    ((headers, _),) = receiver.received
    assert headers["host"] == f"hooks.mentor-match.test:{receiver.port}"
    assert (await harness.delivery(delivery.id))["state"] == "delivered"


async def test_a_redirect_is_not_followed(
    harness: Harness, receiver: Receiver, second_receiver: Receiver
) -> None:
    receiver.status = 307
    receiver.location = f"http://127.0.0.1:{second_receiver.port}/inside"
    subscription = await harness.subscribe(f"http://127.0.0.1:{receiver.port}/hook")
    delivery = await harness.queue(subscription, {"id": "e5"})

    await harness.deliver(WebhookGuard(allow_private=True))

    assert len(receiver.received) == 1
    assert second_receiver.received == []
    stored = await harness.delivery(delivery.id)
    assert stored["state"] == "pending"
    assert stored["last_error"] == "status 307"
