"""Profile service throughput: sign-ins (argon2-bound) and profile updates to the broker.

Runs the real app in process on SQLite in a temp folder and the embedded broker, and
prints JSON. Quick by default; ``--signins`` and ``--updates`` make it longer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from mentor_shared.events.envelope import Envelope
from mentor_shared.sealing import Sealer
from mentor_shared.testing.broker import EmbeddedBroker
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings

PASSWORD = "plum kettle orbit lantern"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def argon2_verify_ms(runs: int) -> float:
    hasher = Argon2PasswordHasher()
    stored = hasher.hash(PASSWORD)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def run(signins: int, updates: int, concurrency: int) -> dict[str, Any]:
    result: dict[str, Any] = {"argon2_verify_ms_p50": round(argon2_verify_ms(10), 2)}
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as data_dir:
        settings = ProfileSettings.model_validate(
            {
                "data_dir": Path(data_dir),
                "kafka_bootstrap_servers": broker.bootstrap_servers,
                "log_level": "WARNING",
            }
        )
        app = create_profile_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://p") as client:
                consumer = AIOKafkaConsumer(
                    "account",
                    "profile",
                    bootstrap_servers=broker.bootstrap_servers,
                    auto_offset_reset="earliest",
                    fetch_max_wait_ms=10,
                )
                await consumer.start()
                seen: dict[tuple[str, int], float] = {}
                tokens: dict[str, str] = {}
                sealer = Sealer.from_settings(settings)

                async def collect() -> None:
                    async for record in consumer:
                        event = Envelope.from_bytes(record.value)
                        if event.type == "profile.upserted":
                            seen[(event.subject, event.data["version"])] = time.perf_counter()
                        elif event.type == "account.verification_requested":
                            tokens[event.data["email"]] = sealer.open(event.data["sealed_token"])

                task = asyncio.create_task(collect())
                email = "bench@cabinetoffice.gov.uk"
                await client.post(
                    "/v1/accounts",
                    json={"email": email, "password": PASSWORD, "display_name": "Ben Bench"},
                )
                while email not in tokens:  # noqa: ASYNC110 - polling is fine in a benchmark
                    await asyncio.sleep(0.01)
                await client.post("/v1/accounts/verify", json={"token": tokens[email]})

                form = {"username": email, "password": PASSWORD}
                semaphore = asyncio.Semaphore(concurrency)

                async def one_sign_in() -> None:
                    async with semaphore:
                        response = await client.post("/v1/auth/token", data=form)
                        assert response.status_code == 200, response.text

                start = time.perf_counter()
                await asyncio.gather(*(one_sign_in() for _ in range(signins)))
                elapsed = time.perf_counter() - start
                result["sign_ins"] = signins
                result["sign_in_concurrency"] = concurrency
                result["sign_ins_per_s"] = round(signins / elapsed, 1)

                token = (await client.post("/v1/auth/token", data=form)).json()["access_token"]
                headers = {"Authorization": f"Bearer {token}"}
                sent: dict[int, float] = {}
                start = time.perf_counter()
                for index in range(updates):
                    before = time.perf_counter()
                    response = await client.put(
                        "/v1/profiles/me", headers=headers, json={"goals_text": f"Goal {index}"}
                    )
                    sent[response.json()["version"]] = before
                elapsed = time.perf_counter() - start
                subject = response.json()["id"]
                deadline = time.monotonic() + 30
                while any((subject, v) not in seen for v in sent) and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                latencies = [
                    (seen[(subject, v)] - at) * 1000
                    for v, at in sent.items()
                    if (subject, v) in seen
                ]
                result["profile_updates"] = updates
                result["profile_updates_per_s"] = round(updates / elapsed, 1)
                result["update_to_event_ms_p50"] = round(percentile(latencies, 0.5), 1)
                result["update_to_event_ms_p99"] = round(percentile(latencies, 0.99), 1)
                result["events_seen"] = len(latencies)
                task.cancel()
                await consumer.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--signins", type=int, default=60)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.signins, args.updates, args.concurrency)), indent=2))


if __name__ == "__main__":
    main()
