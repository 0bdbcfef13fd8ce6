"""Write conflicts: a transaction aborted as transient is run again; one that
keeps conflicting is a 503 the client can retry, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pymongo.errors import OperationFailure

from mentor_shared.settings import ServiceSettings
from mentor_shared.storage.conflicts import retry_on_conflict
from mentor_shared.web.app import create_app


def write_conflict() -> OperationFailure:
    # What the server sends for a write conflict inside a transaction (code 112).
    return OperationFailure(
        "Write conflict during plan execution",
        code=112,
        details={"errorLabels": ["TransientTransactionError"], "code": 112},
    )


class Flaky:
    """An operation that conflicts ``failures`` times, then commits."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or write_conflict()
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "committed"


async def test_a_transient_conflict_runs_the_whole_operation_again() -> None:
    operation = Flaky(failures=2)

    assert await retry_on_conflict(operation, backoff_s=0) == "committed"
    assert operation.calls == 3


async def test_other_database_errors_are_not_retried() -> None:
    operation = Flaky(failures=1, error=OperationFailure("bad query", code=2))

    with pytest.raises(OperationFailure):
        await retry_on_conflict(operation, backoff_s=0)
    assert operation.calls == 1


async def test_it_gives_up_after_the_last_attempt() -> None:
    operation = Flaky(failures=10)

    with pytest.raises(OperationFailure):
        await retry_on_conflict(operation, attempts=3, backoff_s=0)
    assert operation.calls == 3


@pytest.fixture
def client() -> Iterator[TestClient]:
    router = APIRouter()

    @router.post("/v1/contended")
    async def contended() -> None:
        raise write_conflict()

    settings = ServiceSettings(service_name="conflict-test", environment="test")
    app = create_app(settings, title="t", version="1", lifespan=None, routers=[router])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_a_conflict_that_outlasts_the_retries_is_a_503_to_try_again(client: TestClient) -> None:
    response = client.post("/v1/contended")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "write_conflict"
