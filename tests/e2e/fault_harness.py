"""Run chosen services as their own processes, the way ``make run`` starts them, so a
fault test can kill one (SIGKILL), restart it, or restart the broker empty.

The processes are started with the runner's own :class:`ServiceProcess` and
:func:`service_env`, on free ports and a temporary data folder, against the test's
own embedded broker. A small JWKS endpoint in the test process lets the services
accept tokens minted by :class:`TokenMaker` when no profile service runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from mentor_match_ops.runner import RunnerSettings, ServiceProcess, service_env, wait_until_ready
from mentor_shared.bus.kafka import ensure_topics, make_producer
from mentor_shared.bus.records import outbox_fields
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.registry import topics as event_topics
from mentor_shared.settings import ServiceSettings
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.testing.tokens import JwksServer, TokenMaker

ADMIN_EMAIL = "faults.admin@cabinetoffice.gov.uk"
ADMIN_PASSWORD = "a long fault-test passphrase 2026"

# Short intervals so a fault is noticed and recovered from in seconds, not minutes.
FAST_RECOVERY = {
    "BROKER_CHECK_INTERVAL_S": "0.5",
    "BROKER_RECOVERY_SETTLE_S": "2",
    "LOG_JSON": "1",
    "DEMO_DATA": "0",
}


def eventually(
    check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.2
) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout:.0f} s"
        time.sleep(interval)


@dataclass
class FaultSystem:
    """Service processes the test starts, kills and restarts, on one embedded broker."""

    broker: EmbeddedBroker
    root: Path
    tokens: TokenMaker
    jwks_url: str
    smtp_port: int = 0
    services: list[ServiceProcess] = field(default_factory=list)
    _envs: dict[int, dict[str, str]] = field(default_factory=dict)
    _paused: set[int] = field(default_factory=set)

    def start(
        self,
        name: str,
        *,
        label: str | None = None,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> ServiceProcess:
        """Start ``python -m <name>_service`` as ``make run`` does, on a free port.

        Args:
            name: profile, matching, messaging or notifications.
            label: Names its log file (defaults to ``name``); two instances need two.
            data_dir: Its data folder (defaults to the system's shared one).
            env: Variables added to what the runner sets.
            wait: Return only once its ``/readyz`` answers 200.
        """
        folder = data_dir or self.root / "data"
        logs = self.root / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port = free_port()
        settings = RunnerSettings(
            data_dir=folder,
            smtp_host="127.0.0.1",
            smtp_port=self.smtp_port or free_port(),
            demo_data=False,
            admin_email=ADMIN_EMAIL,
            admin_password=SecretStr(ADMIN_PASSWORD),
        )
        setattr(settings, f"{name}_port", port)
        profile = next((s for s in self.services if s.name == "profile"), None)
        if profile is not None:
            settings.profile_port = profile.port
        variables = service_env(
            settings, self.broker.bootstrap_servers, (ADMIN_EMAIL, ADMIN_PASSWORD)
        )
        variables.update(FAST_RECOVERY)
        variables.update(env or {})
        service = ServiceProcess(name, port, logs / f"{label or name}.log")
        self._envs[id(service)] = variables
        service.start(sys.executable, variables)
        self.services.append(service)
        if wait:
            wait_until_ready([service])
        return service

    def restart(self, service: ServiceProcess, *, wait: bool = True) -> None:
        """Start a stopped or killed service again with the same environment and port."""
        assert service.exited() is not None, "stop or kill it first"
        service.start(sys.executable, self._envs[id(service)])
        if wait:
            wait_until_ready([service])

    def pause(self, service: ServiceProcess) -> None:
        """Freeze the process (SIGSTOP): it holds its state but reads nothing."""
        assert service.pid is not None
        os.kill(service.pid, signal.SIGSTOP)
        self._paused.add(service.pid)

    def resume(self, service: ServiceProcess) -> None:
        """Let a paused process carry on (SIGCONT)."""
        assert service.pid is not None
        os.kill(service.pid, signal.SIGCONT)
        self._paused.discard(service.pid)

    def stop_all(self) -> None:
        """Stop every service still running (SIGTERM, then SIGKILL), paused ones too."""
        for service in reversed(self.services):
            if service.pid in self._paused:
                self.resume(service)
            service.stop(timeout=10)


@contextmanager
def fault_system(broker: EmbeddedBroker, root: Path) -> Iterator[FaultSystem]:
    """A :class:`FaultSystem` whose processes are all stopped when the block ends."""
    tokens = TokenMaker()
    jwks = JwksServer(tokens).start()
    system = FaultSystem(broker=broker, root=root, tokens=tokens, jwks_url=jwks.url)
    try:
        yield system
    finally:
        system.stop_all()
        jwks.stop()


# --- reading what a service says about itself ------------------------------------


def readiness(service: ServiceProcess) -> dict[str, Any]:
    """The ``/readyz`` document (whatever its status code)."""
    response = httpx.get(f"{service.url}/readyz", timeout=10)
    document: dict[str, Any] = response.json()
    return document


def consumer_figures(service: ServiceProcess, group: str) -> dict[str, Any]:
    """applied / duplicates / lag ... of one consumer group, from ``/readyz``."""
    checks = readiness(service)["checks"]
    detail: dict[str, Any] = checks["consumers"][group]
    return detail


def log_events(service: ServiceProcess, event: str) -> list[dict[str, Any]]:
    """The JSON log lines of ``service`` (every run so far) whose event is ``event``."""
    found = []
    for line in service.log_path.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record.get("event") == event:
            found.append(record)
    return found


# --- producing events as a service would ------------------------------------------


@dataclass
class Produced:
    """How many envelopes a (background) :func:`produce` call has had acknowledged."""

    count: int = 0


def produce(
    bootstrap: str,
    envelopes: Sequence[Envelope],
    *,
    pace: Iterable[int] = (),
    progress: Produced | None = None,
) -> None:
    """Publish envelopes the way a service's outbox relay does (topic, key, headers).

    Args:
        bootstrap: The broker.
        envelopes: What to publish, in order.
        pace: Optional batch sizes; the producer waits 0.1 s between batches.
        progress: Counts acknowledged envelopes as they go.
    """
    asyncio.run(_produce(bootstrap, envelopes, list(pace), progress or Produced()))


async def _produce(
    bootstrap: str, envelopes: Sequence[Envelope], pace: list[int], progress: Produced
) -> None:
    settings = ServiceSettings(service_name="fault-test", kafka_bootstrap_servers=bootstrap)
    await ensure_topics(settings, event_topics())
    producer = make_producer(settings)
    await producer.start()
    try:
        sizes = pace or [len(envelopes)]
        start = 0
        while start < len(envelopes):
            size = sizes.pop(0) if sizes else len(envelopes) - start
            batch = envelopes[start : start + size]
            futures = []
            for envelope in batch:
                _, topic, key, payload, headers = outbox_fields(envelope)
                futures.append(
                    await producer.send(
                        topic,
                        value=payload,
                        key=key.encode(),
                        headers=[(k, v.encode()) for k, v in json.loads(headers).items()],
                    )
                )
            await asyncio.gather(*futures)
            progress.count += len(batch)
            start += size
            if start < len(envelopes) and pace:
                await asyncio.sleep(0.1)
    finally:
        await producer.stop()
