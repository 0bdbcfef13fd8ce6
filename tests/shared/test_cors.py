"""CORS for browser clients of other departments: off by default, a list of origins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.testclient import TestClient

from mentor_shared.settings import ServiceSettings
from mentor_shared.web.app import create_app

ORIGIN = "https://app.department.gov.uk"


def _client(**settings: object) -> TestClient:
    router = APIRouter()

    @router.get("/v1/things")
    async def things() -> list[str]:
        return ["one"]

    app = create_app(
        ServiceSettings(**settings),  # type: ignore[arg-type]
        title="t",
        version="1",
        lifespan=None,
        routers=[router],
    )
    return TestClient(app)


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/v1/things",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_no_cross_origin_headers_unless_origins_are_listed() -> None:
    client = _client()
    response = client.get("/v1/things", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in _preflight(client, ORIGIN).headers


def test_a_listed_origin_may_call_with_a_bearer_token_and_others_may_not() -> None:
    client = _client(cors_origins=f" {ORIGIN}/ , https://other.gov.uk")
    allowed = _preflight(client, ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    response = client.get("/v1/things", headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    refused = _preflight(client, "https://evil.example")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    other = client.get("/v1/things", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
