"""Builds the images and starts the whole compose stack; needs a Docker engine.

Skipped, with the reason, where no engine answers (as on the development machines
and CI runners without Docker). Building the matching image downloads torch from
the PyTorch CPU index, so the first run takes several minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from mentor_shared.testing.containers import docker_reachable
from tests.deploy.conftest import COMPOSE_FILE, IMAGES, ROOT, ServiceSpec

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECT = "mentor-match-deploy-test"
STACK_TIMEOUT_S = 1800


def _skip_reason() -> str | None:
    reason = docker_reachable()
    if reason:
        return f"compose stack not started: {reason}"
    docker = shutil.which("docker")
    if docker is None:
        return "compose stack not started: the docker client is not installed"
    plugin = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    if plugin.returncode != 0:
        return "compose stack not started: the docker compose plugin is not installed"
    return None


def _compose(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "ADMIN_EMAIL": "admin@cabinetoffice.gov.uk",
        "ADMIN_PASSWORD": "deploy-test-admin-passphrase-7d1",
        "UNSUBSCRIBE_SECRET": "deploy-test-unsubscribe-key-4c9a0b",
        "EVENT_SEAL_KEY": "Xp0d6G1cJb2mYk3W8s9qT4vZ7nR5hL1aE6uC0fB2iD8=",
    }
    return subprocess.run(
        ["docker", "compose", "-p", PROJECT, "-f", str(COMPOSE_FILE), *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def running_stack() -> Iterator[None]:
    """The stack built and up with every health check passing; removed afterwards."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    try:
        up = _compose("up", "--build", "--detach", "--wait", timeout=STACK_TIMEOUT_S)
        if up.returncode != 0:
            logs = _compose("logs", "--no-color", "--tail", "50", timeout=120).stdout
            pytest.fail(f"docker compose up failed:\n{up.stderr}\n{logs}")
        yield
    finally:
        _compose("down", "--volumes", "--remove-orphans", timeout=300)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


@pytest.mark.timeout(STACK_TIMEOUT_S + 300)
@pytest.mark.parametrize("spec", IMAGES, ids=lambda s: s.name)
def test_each_service_answers_ready_in_the_compose_stack(
    running_stack: None, spec: ServiceSpec
) -> None:
    port = spec.port
    deadline = time.monotonic() + 120
    status = _status(f"http://127.0.0.1:{port}/readyz")
    while status != 200 and time.monotonic() < deadline:
        time.sleep(2)
        status = _status(f"http://127.0.0.1:{port}/readyz")
    assert status == 200
