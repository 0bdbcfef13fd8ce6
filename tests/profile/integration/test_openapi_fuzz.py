"""Property-based requests generated from the profile service's own OpenAPI document.

Every operation, fed schema-valid and schema-violating inputs by schemathesis,
as an administrator (who may call every endpoint): no 5xx, and every response
matches the documented schema.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.testing.server import serve_in_thread
from profile_service.api.app import create_profile_app
from tests.profile.helpers import ADMIN_EMAIL, ADMIN_PASSWORD, profile_settings

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def profile_url(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("profile-fuzz")
    port = free_port()
    settings_ = profile_settings(embedded_broker.bootstrap_servers, data_dir, port=port)
    url = f"http://127.0.0.1:{port}"
    with serve_in_thread(create_profile_app(settings_), port, name="profile-server"):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url


@pytest.fixture(scope="module")
def admin_headers(profile_url: str) -> dict[str, str]:
    response = httpx.post(
        f"{profile_url}/v1/auth/token",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=10,
    )
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_no_operation_fails_with_a_server_error_or_breaks_its_schema(
    profile_url: str, admin_headers: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{profile_url}/openapi.json")
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # DELETE would erase the administrator the remaining requests sign in as.
    operations = [op for op in operations if op.method.upper() != "DELETE"]
    assert len(operations) >= 15

    for operation in operations:

        @settings(
            max_examples=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            calls.append(1)
            case.call_and_validate(
                headers=admin_headers,
                checks=[not_a_server_error, response_schema_conformance, status_code_conformance],
                excluded_checks=[negative_data_rejection],
            )

        try:
            exercise()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report all
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 4 * len(operations), "schemathesis generated too few requests"
