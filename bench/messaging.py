"""Messaging throughput and live-delivery latency, through a real server process.

Starts the embedded broker, a tiny JWKS endpoint (standing in for the profile
service) and ``python -m messaging_service`` as its own process on SQLite, opens
one conversation through a ``match.requested`` event, subscribes to its SSE
stream as the mentor, then POSTs messages as the mentee over N keep-alive
connections in two phases: as fast as they go (capacity), then paced at a steady
rate (latency at that load, timed from each message's scheduled send so falling
behind counts). For each phase it prints messages/s accepted by POST and delivered
to the stream subscriber, send-to-SSE-receipt latency percentiles, and the CPU
time per message of the server and of the load generator (steadier than rates
when the machine is shared).

The per-person rate limit is raised for the run (MESSAGE_RATE_LIMIT), otherwise
it would cap the sender at 30 messages a minute.

    .venv/bin/python bench/messaging.py [--messages 3000] [--concurrency 16] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from mentor_shared.events import new_event
from mentor_shared.events.schemas import MatchRequested
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.testing.tokens import JwksServer, TokenMaker


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def run(messages: int, concurrency: int, rate: float) -> dict[str, Any]:
    tokens = TokenMaker(kid="bench-key")
    jwks_server = JwksServer(tokens).start()
    broker = EmbeddedBroker().start()
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="messaging-bench-")
    env = {
        **os.environ,
        "MESSAGING_PORT": str(port),
        "DATA_DIR": data_dir,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "JWKS_URL": jwks_server.url,
        "MESSAGE_RATE_LIMIT": str(messages * 10),
        "ENVIRONMENT": "test",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any load
        [sys.executable, "-m", "messaging_service"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    mentee, mentor = f"bench-mentee-{uuid.uuid4()}", f"bench-mentor-{uuid.uuid4()}"
    mentee_auth = tokens.headers(mentee)
    mentor_token = tokens.token(mentor)
    try:
        limits = httpx.Limits(max_connections=concurrency + 4)
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                await asyncio.sleep(0.1)

            match_id = f"bench-match-{uuid.uuid4()}"
            producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
            await producer.start()
            envelope = new_event(
                MatchRequested(
                    match_id=match_id,
                    mentee_id=mentee,
                    mentor_id=mentor,
                    message="bench opening",
                    expires_at=datetime.now(UTC) + timedelta(days=14),
                ),
                subject=match_id,
                source="bench",
            )
            await producer.send_and_wait("match", envelope.to_bytes(), key=match_id.encode())
            await producer.stop()
            conversation_id = None
            deadline = time.monotonic() + 60
            while conversation_id is None:
                items = (await client.get("/v1/conversations", headers=mentee_auth)).json()["items"]
                conversation_id = next((c["id"] for c in items if c["match_id"] == match_id), None)
                if time.monotonic() > deadline:
                    raise RuntimeError("conversation was not opened")
                await asyncio.sleep(0.1)

            started: dict[str, float] = {}
            received: dict[str, float] = {}
            stream_open = asyncio.Event()
            all_received = asyncio.Event()
            expected = 0

            async def listen() -> None:
                # Raw HTTP/1.1 too; each event arrives as one chunk of the chunked
                # body, so its "data:" line is whole and chunk-size lines are skipped.
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(
                    f"GET /v1/conversations/{conversation_id}/stream HTTP/1.1\r\n"
                    f"Host: 127.0.0.1\r\nAuthorization: Bearer {mentor_token}\r\n"
                    "Accept: text/event-stream\r\n\r\n".encode()
                )
                try:
                    await reader.readuntil(b"\r\n\r\n")
                    while line := await reader.readline():
                        if line.startswith(b": stream open"):
                            stream_open.set()
                        elif line.startswith(b"data: "):
                            now = time.perf_counter()
                            body = json.loads(line[6:])["body"]
                            if body in started:
                                received[body] = now
                                if len(received) == expected:
                                    all_received.set()
                finally:
                    writer.close()

            listener = asyncio.create_task(listen())
            await asyncio.wait_for(stream_open.wait(), 10)
            path = f"/v1/conversations/{conversation_id}/messages"

            async def phase(label: str, count: int, rate: float | None) -> dict[str, Any]:
                """Send ``count`` messages: as fast as the senders go, or paced at ``rate``/s.

                Paced latency runs from each message's scheduled time, so a server
                that falls behind the schedule is charged for it.
                """
                nonlocal expected
                queue: asyncio.Queue[int] = asyncio.Queue()
                for i in range(count):
                    queue.put_nowait(i)
                failures = 0
                expected = len(received) + count
                all_received.clear()

                async def sender() -> None:
                    # One keep-alive connection per sender, speaking HTTP/1.1 directly:
                    # a general-purpose client spent more CPU per request than the
                    # server (3.9 ms against 2.1 ms), so it, not the service, set the pace.
                    nonlocal failures
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    try:
                        while not queue.empty():
                            i = queue.get_nowait()
                            body = f"{label} message {i}"
                            if rate is not None:
                                due = t0 + i / rate
                                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                                started[body] = due
                            else:
                                started[body] = time.perf_counter()
                            payload = json.dumps({"body": body}).encode()
                            writer.write(
                                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                f"Authorization: {mentee_auth['Authorization']}\r\n"
                                "Content-Type: application/json\r\n"
                                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                                + payload
                            )
                            head = await reader.readuntil(b"\r\n\r\n")
                            length = next(
                                int(line.split(b":", 1)[1])
                                for line in head.split(b"\r\n")
                                if line.lower().startswith(b"content-length:")
                            )
                            await reader.readexactly(length)
                            if not head.startswith(b"HTTP/1.1 201"):
                                failures += 1
                    finally:
                        writer.close()

                client_cpu0 = time.process_time()
                cpu0 = cpu_seconds(server.pid)
                t0 = time.perf_counter()
                await asyncio.gather(*(sender() for _ in range(concurrency)))
                t_sent = time.perf_counter() - t0
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(all_received.wait(), 30)
                mine = [body for body in received if body.startswith(f"{label} ")]
                t_delivered = max(received[b] for b in mine) - t0 if mine else float("nan")
                server_cpu_s = cpu_seconds(server.pid) - cpu0
                client_cpu_s = time.process_time() - client_cpu0
                latencies = [(received[b] - started[b]) * 1000 for b in mine]
                return {
                    "messages": count,
                    "offered_per_s": rate,
                    "post_failures": failures,
                    "sent_per_s": round(count / t_sent, 1),
                    "delivered": len(mine),
                    "delivered_per_s": round(len(mine) / t_delivered, 1),
                    "latency_ms": {
                        "p50": round(statistics.median(latencies), 2) if latencies else None,
                        "p99": round(percentile(latencies, 0.99), 2) if latencies else None,
                        "max": round(max(latencies), 2) if latencies else None,
                    },
                    "server_cpu_ms_per_message": round(server_cpu_s * 1000 / count, 3),
                    "load_generator_cpu_ms_per_message": round(client_cpu_s * 1000 / count, 3),
                }

            saturated = await phase("saturated", messages, None)
            paced = await phase("paced", messages, rate)
            listener.cancel()
            # Closes the stream before the server is asked to stop (it waits for it).
            with contextlib.suppress(asyncio.CancelledError):
                await listener
    finally:
        server.terminate()
        server.wait(timeout=30)
        broker.stop()
        jwks_server.stop()
    return {
        "benchmark": "messaging",
        "concurrency": concurrency,
        "as_fast_as_possible": saturated,
        "steady_rate": paced,
        "store": "sqlite",
        "server": "1 uvicorn process (uvloop, httptools); load generator (raw HTTP/1.1"
        " keep-alive) and SSE subscriber in a separate process",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=float, default=500.0, help="messages/s of the steady phase")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.messages, args.concurrency, args.rate)), indent=2))


if __name__ == "__main__":
    main()
