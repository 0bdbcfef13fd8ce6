"""The whole system as `make run` starts it: every service its own process, the
embedded broker and the mail sink, on free ports and a temporary data folder; or the
same runner on Apache Kafka and MongoDB in Docker, as in production.

Here, at the root of the tests, so that the end-to-end, security and privacy tests
share one running system per test session."""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import TypeVar

import pytest

from mentor_shared.testing.broker import free_port
from mentor_shared.testing.kafka import ApacheKafka
from tests.tiers import (  # noqa: F401  (hooks: the test tiers)
    pytest_collection_modifyitems,
    pytest_fixture_setup,
    pytest_runtest_protocol,
)

BIN = Path(sys.executable).parent
SERVICES = ("PROFILE", "MATCHING", "MESSAGING", "NOTIFICATIONS", "WEB")
ADMIN_EMAIL = "ops.admin@cabinetoffice.gov.uk"
ADMIN_PASSWORD = "a long operator passphrase 2026"
T = TypeVar("T")

# The embedded broker forms a consumer group only after half the session timeout:
# 5 s at the default, on every service start. Tests against Apache Kafka set 10 s,
# which it requires (at least 6 s).
os.environ.setdefault("KAFKA_SESSION_TIMEOUT_MS", "2000")


@pytest.fixture(autouse=True)
def _unsettled_heap() -> Iterator[None]:
    """Services and indexes started in this process settle its heap
    (mentor_shared.heap); each test starts from ordinary collection again, so what one
    test settled is collected normally once the next no longer needs it."""
    yield
    gc.unfreeze()


@dataclass
class System:
    """A running system: its environment, data folder and runner output."""

    env: dict[str, str]
    data_dir: Path
    log: Path
    mongodb_uri: str | None = None
    """Where the services keep their data when not in SQLite files under ``data_dir``."""

    def url(self, service: str) -> str:
        """Base URL of a service (profile, matching, ...)."""
        return f"http://127.0.0.1:{self.env[service.upper() + '_PORT']}"


@contextmanager
def run_system(data_dir: Path, settings: dict[str, str]) -> Iterator[System]:
    """``mentor-match run`` with ``settings`` on top of the test defaults, until Ctrl-C."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DEMO_DATA": "0",
        "EMBEDDED_KAFKA_PORT": str(free_port()),
        "SMTP_PORT": str(free_port()),
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        # Short so the journey's consumers see a broker restart quickly.
        "BROKER_RECOVERY_SETTLE_S": "2",
    }
    for variable in ("KAFKA_BOOTSTRAP_SERVERS", "SMTP_HOST", "MONGODB_URI"):
        env.pop(variable, None)
    env.update(settings)
    for name in SERVICES:
        env[f"{name}_PORT"] = str(free_port())
    log = data_dir / "runner.out"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(BIN / "mentor-match"), "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 600
        while "Mentor Match is running" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "the system was not ready in 10 minutes"
            time.sleep(0.5)
        try:
            yield System(
                env=env, data_dir=data_dir, log=log, mongodb_uri=settings.get("MONGODB_URI")
            )
        finally:
            process.send_signal(signal.SIGINT)
            status = process.wait(timeout=90)
    assert status == 0, log.read_text(errors="replace")


@pytest.fixture(scope="session")
def running_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The embedded defaults: Tansu broker, SQLite files, the mail sink."""
    # Many tests act as the same administrator on this one system (the OpenAPI run
    # asks for matches dozens of times); the daily request limit itself is tested on
    # its own server (tests/matching/integration/test_privacy_and_limits.py).
    settings = {"MATCH_REQUESTS_PER_DAY": "10000"}
    with run_system(tmp_path_factory.mktemp("system"), settings) as system:
        yield system


@pytest.fixture
def running_system_on_kafka_and_mongodb(
    tmp_path_factory: pytest.TempPathFactory, apache_kafka: ApacheKafka, docker_mongodb_uri: str
) -> Iterator[System]:
    """Production's broker and store (Apache Kafka, a MongoDB replica set) in Docker.

    Set as docker-compose.yml sets them: the idempotent producer on and the longer
    fetch wait Apache Kafka allows. Only mail stays local (the sink). Stopped after
    its test: its processes do not outlive the journey that needs them.
    """
    settings = {
        "KAFKA_BOOTSTRAP_SERVERS": apache_kafka.bootstrap_servers,
        "KAFKA_IDEMPOTENCE": "true",
        "KAFKA_FETCH_MAX_WAIT_MS": "500",
        "KAFKA_SESSION_TIMEOUT_MS": "10000",
        "MONGODB_URI": docker_mongodb_uri,
    }
    with run_system(tmp_path_factory.mktemp("system-docker"), settings) as system:
        yield system


# --- what tests of the running system share -------------------------------------------


def eventually(check: Callable[[], T], timeout: float = 90, interval: float = 0.3) -> T:
    """Poll until ``check`` returns something truthy, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"condition not met in {timeout} s"
        time.sleep(interval)


def emails_to(system: System, address: str) -> list[EmailMessage]:
    """The emails the mail sink received for ``address``, oldest first."""
    paths = sorted((system.data_dir / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    found = []
    for path in paths:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if address.lower() in str(message["To"]).lower():
            found.append(message)
    return found


def link_tokens(system: System, address: str, page: str) -> list[str]:
    """Tokens of the ``/{page}?token=`` links emailed to ``address``, oldest first."""
    tokens = []
    for message in emails_to(system, address):
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        tokens += re.findall(rf"https?://\S+/{page}\?token=([\w\-.~%]+)", text)
    return tokens


def verification_token(system: System, address: str) -> str | None:
    """The token of the first verification email to ``address``, once it arrived."""
    tokens = link_tokens(system, address, "verify")
    return tokens[0] if tokens else None
