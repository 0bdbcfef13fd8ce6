"""What tracing costs a request: two profile service apps in one process, off and on.

Prints JSON. Both apps run their lifespans on one embedded broker and are called in
process (httpx's ASGI transport, which the httpx instrumentation leaves alone, so the
client costs the same for both). The first app is built before tracing is turned on
and is never instrumented; the second after, exporting over OTLP/HTTP to a local
collector stand-in that accepts and counts the batches. Requests alternate between
them in rounds, so whatever else the machine does falls on both alike; the figures
that matter are the difference and the ratio.

    nice -n 19 .venv/bin/python bench/tracing.py --rounds 20 --per-round 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from mentor_shared import tracing
from mentor_shared.logs import configure_logging
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from profile_service.api.app import create_profile_app
from profile_service.settings import ProfileSettings

ADMIN_EMAIL = "admin@cabinetoffice.gov.uk"
ADMIN_PASSWORD = "correct horse battery staple admin"


class _Collector(BaseHTTPRequestHandler):
    """Answers every OTLP export with 200 and counts what arrived."""

    batches = 0
    bytes = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        type(self).batches += 1
        type(self).bytes += length
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


async def _token(client: httpx.AsyncClient) -> str:
    response = await client.post(
        "/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def _round(client: httpx.AsyncClient, path: str, token: str, count: int) -> list[float]:
    headers = {"Authorization": f"Bearer {token}"}
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


async def measure(
    clients: dict[str, httpx.AsyncClient], rounds: int, per_round: int
) -> dict[str, object]:
    tokens = {name: await _token(client) for name, client in clients.items()}
    results: dict[str, object] = {}
    for path in ("/v1/reference", "/v1/profiles/me"):
        times: dict[str, list[float]] = {name: [] for name in clients}
        for name, client in clients.items():  # warm-up
            await _round(client, path, tokens[name], 20)
        for n in range(rounds):
            order = list(clients) if n % 2 == 0 else list(reversed(clients))
            for name in order:
                times[name] += await _round(clients[name], path, tokens[name], per_round)
        summary: dict[str, object] = {
            name: {
                "p50_ms": round(statistics.median(values), 3),
                "mean_ms": round(statistics.fmean(values), 3),
                "p99_ms": round(statistics.quantiles(values, n=100)[98], 3),
            }
            for name, values in times.items()
        }
        p50 = {name: statistics.median(values) for name, values in times.items()}
        mean = {name: statistics.fmean(values) for name, values in times.items()}
        summary["on_minus_off_p50_ms"] = round(p50["on"] - p50["off"], 3)
        summary["ratio_p50_on_off"] = round(p50["on"] / p50["off"], 3)
        summary["ratio_mean_on_off"] = round(mean["on"] / mean["off"], 3)
        results[path] = summary
    return results


@asynccontextmanager
async def _running(settings: ProfileSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_profile_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://profile") as client:
            yield client


async def run(
    rounds: int, per_round: int, endpoint: str, data_dir: Path, broker: str
) -> dict[str, object]:
    def settings(name: str) -> ProfileSettings:
        return ProfileSettings.model_validate(
            {
                "data_dir": data_dir / name,
                "kafka_bootstrap_servers": broker,
                "admin_email": ADMIN_EMAIL,
                "admin_password": ADMIN_PASSWORD,
                "sign_in_limit_per_ip": 100_000,
            }
        )

    # Built before tracing is on, so never instrumented; the second app after.
    async with _running(settings("off")) as off:
        tracing.configure_tracing("bench", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        try:
            async with _running(settings("on")) as on:
                return await measure({"off": off, "on": on}, rounds, per_round)
        finally:
            tracing.shutdown_tracing()  # sends the last batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=100)
    args = parser.parse_args()
    configure_logging("bench", json=False, level="WARNING", stream=sys.stderr)

    collector = ThreadingHTTPServer(("127.0.0.1", free_port()), _Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    broker = EmbeddedBroker().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            results = asyncio.run(
                run(args.rounds, args.per_round, endpoint, Path(tmp), broker.bootstrap_servers)
            )
    finally:
        broker.stop()
        collector.shutdown()
    results["otlp_batches_received"] = _Collector.batches
    results["otlp_bytes_received"] = _Collector.bytes
    results["requests_per_app_per_path"] = args.rounds * args.per_round
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
