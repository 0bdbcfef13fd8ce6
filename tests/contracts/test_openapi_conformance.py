"""The four services' OpenAPI documents are exact: schemathesis with every check finds nothing.

Client generators trust these documents, so every status, content type, constraint and
``Allow`` header a service answers must be in them. Schemathesis runs as a developer
would run it (``schemathesis run <service>/openapi.json -c all`` from the repository
root, reading ``schemathesis.toml``) against the running system, signed in as a member
and as the administrator, with a small number of examples per operation so that the
four services take well under a minute together.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, System, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
SERVICES = ("profile", "matching", "messaging", "notifications")
PASSWORD = "quartz meadow lantern forty cobble"

# Erasing oneself would leave the rest of the run signed out; the erasure tests cover it.
EXCLUDED = ("--exclude-method", "DELETE", "--exclude-path", "/v1/profiles/me")


def _sign_in(client: httpx.Client, system: System, email: str, password: str) -> str:
    response = client.post(
        system.url("profile") + "/v1/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@pytest.fixture(scope="module")
def tokens(running_system: System) -> dict[str, str]:
    """Access tokens of a new member and of the administrator."""
    email = f"contract.member.{uuid.uuid4().hex[:8]}@dwp.gov.uk"
    with httpx.Client(timeout=30, headers={"X-Forwarded-For": "198.51.100.40"}) as client:
        created = client.post(
            running_system.url("profile") + "/v1/accounts",
            json={"email": email, "password": PASSWORD, "display_name": "Casey Contract"},
        )
        assert created.status_code == 201, created.text
        token = eventually(lambda: verification_token(running_system, email))
        verified = client.post(
            running_system.url("profile") + "/v1/accounts/verify", json={"token": token}
        )
        assert verified.status_code in (200, 204), verified.text
        return {
            "member": _sign_in(client, running_system, email, PASSWORD),
            "administrator": _sign_in(client, running_system, ADMIN_EMAIL, ADMIN_PASSWORD),
        }


@pytest.mark.parametrize("caller", ["member", "administrator"])
@pytest.mark.parametrize("service", SERVICES)
def test_schemathesis_finds_no_failure(
    running_system: System, tokens: dict[str, str], service: str, caller: str
) -> None:
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{running_system.url(service)}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {tokens[caller]}",
        # Each caller its own address, so per-address limits do not mix the runs.
        "--header",
        f"X-Forwarded-For: 198.51.100.{41 if caller == 'member' else 42}",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "3",
        "--request-timeout",
        "5",
        "--seed",
        "2026",
        "--no-color",
        *EXCLUDED,
    ]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-2000:]
