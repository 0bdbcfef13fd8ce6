"""The four services' OpenAPI documents are exact: schemathesis with every check finds nothing.

Client generators trust these documents, so every status, content type, constraint and
``Allow`` header a service answers must be in them. Schemathesis runs as a developer
would run it (``schemathesis run <service>/openapi.json -c all`` from the repository
root, reading ``schemathesis.toml``) against the running system, signed in as the
administrator (whom every route lets in, so every operation is reached past its
authorisation), in schemathesis' coverage phase (every boundary, missing and
wrong-typed value of each parameter and field, and the undeclared methods), the four
services at once. Developers add the fuzzing phase when they run it by hand.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, System

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
"""Where ``schemathesis.toml`` is: schemathesis reads it from the working directory."""
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SERVICES = ("profile", "matching", "messaging", "notifications")

EXCLUDED = (
    # Erasure would sign the rest of the run out, or erase people other tests use.
    "--exclude-method",
    "DELETE",
    # Random coaches in the directory would change what other tests of the session see.
    "--exclude-name",
    "POST /v1/admin/import",
)


@pytest.fixture(scope="module")
def admin_token(running_system: System) -> str:
    """The administrator's access token: the one caller every route lets in."""
    with httpx.Client(timeout=30, headers={"X-Forwarded-For": "198.51.100.40"}) as client:
        response = client.post(
            running_system.url("profile") + "/v1/auth/token",
            data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def schemathesis_command(system: System, service: str, token: str) -> list[str]:
    """``schemathesis run`` with every check against one service, three examples each."""
    return [
        str(SCHEMATHESIS),
        "run",
        f"{system.url(service)}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        # Each run its own address, so that per-address limits do not mix the runs.
        "--header",
        f"X-Forwarded-For: 198.51.100.{41 + SERVICES.index(service)}",
        # The coverage phase: the boundary, missing and wrong-typed values of every
        # parameter and body field, and the undeclared methods; no random fuzzing.
        "--phases",
        "coverage",
        "--max-examples",
        "3",
        # Conformance, not speed: a loaded CI machine (model warm-up, other suites)
        # must not turn a slow answer into a failure.
        "--request-timeout",
        "30",
        "--seed",
        "2026",
        "--no-color",
        *EXCLUDED,
    ]


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_failure_in_any_service(
    running_system: System, admin_token: str
) -> None:
    # The allowed email domains are restored afterwards: other tests sign people up.
    profile = httpx.Client(
        base_url=running_system.url("profile"),
        timeout=30,
        headers={"Authorization": f"Bearer {admin_token}", "X-Forwarded-For": "198.51.100.40"},
    )
    domains = profile.get("/v1/admin/domains")
    assert domains.status_code == 200, domains.text
    # The four runs at once: they mostly wait on the services, not on the processor.
    runs = {
        service: subprocess.Popen(
            schemathesis_command(running_system, service, admin_token),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for service in SERVICES
    }
    try:
        reports = {service: run.communicate(timeout=600)[0] for service, run in runs.items()}
    finally:
        restored = profile.put("/v1/admin/domains", json=domains.json())
        profile.close()
    assert restored.status_code == 200, restored.text
    failed = {
        service: reports[service][-8000:] for service, run in runs.items() if run.returncode != 0
    }
    assert not failed, "\n\n".join(f"== {name}\n{text}" for name, text in failed.items())
