"""Notifications throughput and latency on the embedded broker and a real SMTP sink.

Prints JSON:
- ``emails_per_s``: account.verification_requested events produced on the broker
  to emails accepted by a local aiosmtpd server, end to end;
- ``inbox_latency_ms`` p50/p99: a message.sent event produced on the broker until
  the recipient's ``GET /v1/notifications`` shows it.

Usage: ``python bench/notifications.py [--emails 300] [--latency-samples 60]``
(about 30 s with the defaults, most of it the consumer group join).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.registry import REGISTRY
from mentor_shared.events.schemas import AccountVerificationRequested, MessageSent
from mentor_shared.logs import configure_logging
from mentor_shared.sealing import Sealer
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.web.app import build_server
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.notifications.conftest import SmtpSink

from mentor_shared.testing.tokens import TokenMaker


async def publish(producer: AIOKafkaProducer, envelope: Envelope) -> None:
    topic = REGISTRY.spec(envelope.type, envelope.version).topic
    await producer.send_and_wait(topic, value=envelope.to_bytes(), key=envelope.subject.encode())


async def run(emails: int, samples: int) -> dict[str, object]:
    configure_logging("notifications-bench", json=False, level="WARNING")
    broker = EmbeddedBroker().start()
    smtp = SmtpSink()
    smtp.start()
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        settings = NotificationsSettings(
            environment="test",
            kafka_bootstrap_servers=broker.bootstrap_servers,
            data_dir=Path(data_dir),
            port=port,
            smtp_port=smtp.port,
            unsubscribe_secret="bench-unsubscribe-secret",
            delivery_poll_interval_s=0.1,
            log_level="WARNING",
        )
        tokens = TokenMaker()
        app = create_notifications_app(settings)
        app.state.key_set = tokens.key_set()
        server = build_server(app, settings)
        task = asyncio.create_task(server.serve())
        producer = AIOKafkaProducer(
            bootstrap_servers=broker.bootstrap_servers, acks="all", linger_ms=5
        )
        await producer.start()
        base = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:
                while True:
                    try:
                        if (await client.get("/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                # Throughput: produce all, wait for the last email.
                expires = datetime.now(UTC) + timedelta(days=1)
                sealer = Sealer.from_settings(settings)
                started = time.perf_counter()
                sends = []
                for i in range(emails):
                    account = f"bench-{i}-{uuid.uuid4().hex[:6]}"
                    event = new_event(
                        AccountVerificationRequested(
                            account_id=account,
                            email=f"{account}@example.gov.uk",
                            display_name="Bench",
                            sealed_token=sealer.seal(uuid.uuid4().hex),
                            expires_at=expires,
                        ),
                        subject=account,
                        source="bench",
                    )
                    topic = REGISTRY.spec(event.type, event.version).topic
                    sends.append(
                        await producer.send(topic, value=event.to_bytes(), key=account.encode())
                    )
                await asyncio.gather(*sends)
                while len(smtp.messages) < emails:  # noqa: ASYNC110 - the sink runs on its own thread
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started

                # Latency: one event at a time until it is visible in the list.
                recipient = f"bench-reader-{uuid.uuid4().hex[:6]}"
                headers = tokens.headers(recipient)
                latencies = []
                for i in range(samples):
                    event = new_event(
                        MessageSent(
                            conversation_id=f"c-{i}",
                            message_id=f"m-{i}",
                            sender_id="bench-sender",
                            recipient_id=recipient,
                            sent_at=datetime.now(UTC),
                        ),
                        subject=recipient,
                        source="bench",
                    )
                    t0 = time.perf_counter()
                    await publish(producer, event)
                    while True:
                        page = (
                            await client.get(
                                "/v1/notifications", params={"limit": 1}, headers=headers
                            )
                        ).json()
                        if page["unread_count"] > i:
                            break
                        await asyncio.sleep(0.002)
                    latencies.append((time.perf_counter() - t0) * 1000)
        finally:
            await producer.stop()
            server.should_exit = True
            await task
            smtp.stop()
            broker.stop()
    latencies.sort()
    return {
        "benchmark": "notifications",
        "emails": emails,
        "emails_seconds": round(elapsed, 3),
        "emails_per_s": round(emails / elapsed, 1),
        "inbox_latency_samples": samples,
        "inbox_latency_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p99": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
            "max": round(latencies[-1], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=300)
    parser.add_argument("--latency-samples", type=int, default=60)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.emails, args.latency_samples)), indent=2))


if __name__ == "__main__":
    main()
