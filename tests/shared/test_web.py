"""The shared HTTP mechanism: error shape, request middleware, health endpoints, app factory."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import pytest
import structlog
from fastapi import APIRouter, FastAPI
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from pydantic import BaseModel, Field

from mentor_shared.context import current_correlation_id, current_request_id
from mentor_shared.logs import configure_logging
from mentor_shared.settings import ServiceSettings
from mentor_shared.web.app import build_server, create_app
from mentor_shared.web.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    Unprocessable,
    error_responses,
    install_error_handlers,
)
from mentor_shared.web.health import CheckResult, ReadinessRegistry, health_router
from mentor_shared.web.middleware import UNMATCHED_ROUTE, RequestContextMiddleware

INTERNAL_ERROR = {
    "error": {
        "code": "internal_error",
        "message": "Something went wrong on our side",
        "details": None,
    }
}


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Structured JSON logs captured in a buffer for the duration of one test."""
    root = logging.getLogger()
    handlers_before, level_before = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging("web-test", json=True, level="DEBUG", stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers_before:
            root.removeHandler(handler)
    root.setLevel(level_before)


def log_lines(stream: io.StringIO, event: str | None = None) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [line for line in parsed if event is None or line["event"] == event]


class SignUp(BaseModel):
    email: str
    password: str = Field(min_length=12)
    age: int


def demo_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/items/{item_id}", responses=error_responses(404, 409))
    async def get_item(item_id: str) -> dict[str, Any]:
        structlog.contextvars.bind_contextvars(item_id=item_id)
        return {
            "item_id": item_id,
            "request_id": current_request_id(),
            "correlation_id": current_correlation_id(),
            "log_context": structlog.contextvars.get_contextvars(),
        }

    @router.get("/v1/context")
    async def context() -> dict[str, Any]:
        return {"log_context": structlog.contextvars.get_contextvars()}

    @router.post("/v1/signup")
    async def sign_up(body: SignUp) -> dict[str, str]:
        return {"email": body.email}

    @router.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("no profile for jane.smith@cabinet-office.gov.uk")

    @router.get("/v1/errors/{kind}")
    async def raise_error(kind: str) -> None:
        errors: dict[str, ApiError] = {
            "not_found": NotFound("No such match"),
            "conflict": Conflict(
                "Three requests are already open",
                code="too_many_open_requests",
                details={"open": 3},
            ),
            "forbidden": Forbidden(),
            "unauthorized": Unauthorized(),
            "too_many": TooManyRequests(retry_after_s=30),
            "bad_request": BadRequest("Cursor is not valid", code="bad_cursor"),
            "unprocessable": Unprocessable("Domain not allowed", code="domain_not_allowed"),
        }
        raise errors[kind]

    return router


@pytest.fixture
def settings() -> ServiceSettings:
    return ServiceSettings(service_name="web-test", environment="test", host="127.0.0.1", port=0)


@pytest.fixture
def app(settings: ServiceSettings) -> FastAPI:
    return create_app(
        settings, title="Demo", version="1.2.3", lifespan=None, routers=[demo_router()]
    )


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "status", "code", "message", "details"),
    [
        ("not_found", 404, "not_found", "No such match", None),
        ("conflict", 409, "too_many_open_requests", "Three requests are already open", {"open": 3}),
        ("forbidden", 403, "forbidden", "You do not have permission to do this", None),
        ("unauthorized", 401, "unauthorized", "Sign in to continue", None),
        ("too_many", 429, "too_many_requests", "Too many requests, try again later", None),
        ("bad_request", 400, "bad_cursor", "Cursor is not valid", None),
        ("unprocessable", 422, "domain_not_allowed", "Domain not allowed", None),
    ],
)
def test_api_errors_render_in_the_shared_shape_with_their_status(
    client: TestClient, kind: str, status: int, code: str, message: str, details: Any
) -> None:
    response = client.get(f"/v1/errors/{kind}")

    assert response.status_code == status
    assert response.json() == {"error": {"code": code, "message": message, "details": details}}


def test_unauthorized_carries_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/v1/errors/unauthorized")

    assert response.headers["www-authenticate"] == "Bearer"


def test_too_many_requests_carries_retry_after(client: TestClient) -> None:
    response = client.get("/v1/errors/too_many")

    assert response.headers["retry-after"] == "30"


def test_validation_errors_list_location_and_rule_without_echoing_input(
    client: TestClient,
) -> None:
    response = client.post(
        "/v1/signup", json={"email": "a@b.gov.uk", "password": "short-pw1", "age": "old-enough"}
    )

    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    details = {tuple(item["loc"]): item for item in body["error"]["details"]}
    assert set(details) == {("body", "password"), ("body", "age")}
    assert details[("body", "password")]["type"] == "string_too_short"
    assert all(set(item) == {"loc", "msg", "type"} for item in details.values())
    assert "short-pw1" not in response.text
    assert "old-enough" not in response.text


def test_malformed_json_is_a_validation_error_in_the_shared_shape(client: TestClient) -> None:
    response = client.post(
        "/v1/signup", content=b'{"password": "hunter2', headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert "hunter2" not in response.text


def test_unknown_route_is_a_404_in_the_shared_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "Not Found", "details": None}
    }


def test_wrong_method_is_a_405_in_the_shared_shape_with_allow(client: TestClient) -> None:
    response = client.delete("/v1/signup")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert response.headers["allow"] == "POST"


def test_unexpected_exception_is_a_generic_500_and_is_logged_with_its_traceback(
    client: TestClient, log_stream: io.StringIO
) -> None:
    response = client.get("/v1/boom", headers={"X-Request-ID": "req-boom"})

    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert "Traceback" not in response.text
    assert "no profile" not in response.text
    assert response.headers["x-request-id"] == "req-boom"
    (logged,) = log_lines(log_stream, "unhandled_error")
    assert logged["request_id"] == "req-boom"
    assert logged["path"] == "/v1/boom"
    assert logged["exception"][0]["exc_type"] == "RuntimeError"
    # The exception text reaches the log only through the redaction processor.
    assert logged["exception"][0]["exc_value"] == "no profile for [redacted-email]"
    assert "jane.smith" not in log_stream.getvalue()


def test_error_handlers_alone_turn_unexpected_exceptions_into_the_500_shape(
    log_stream: io.StringIO,
) -> None:
    bare = FastAPI()
    install_error_handlers(bare)
    bare.include_router(demo_router())

    with TestClient(bare, raise_server_exceptions=False) as bare_client:
        response = bare_client.get("/v1/boom")

    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert len(log_lines(log_stream, "unhandled_error")) == 1


def test_documented_error_responses_appear_in_openapi(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    responses = schema["paths"]["/v1/items/{item_id}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "409" in responses
    error_body = schema["components"]["schemas"]["ErrorBody"]
    assert set(error_body["properties"]) == {"code", "message", "details"}


# --- middleware ---------------------------------------------------------------------


def test_request_ids_are_generated_when_absent(client: TestClient) -> None:
    response = client.get("/v1/items/42")

    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.headers["x-correlation-id"] == request_id
    assert response.json()["request_id"] == request_id
    assert response.json()["correlation_id"] == request_id


def test_valid_incoming_ids_are_kept_and_bound_to_the_log_context(client: TestClient) -> None:
    response = client.get(
        "/v1/items/42", headers={"X-Request-ID": "req.1_a-B", "X-Correlation-ID": "corr-99"}
    )

    assert response.headers["x-request-id"] == "req.1_a-B"
    assert response.headers["x-correlation-id"] == "corr-99"
    body = response.json()
    assert body["request_id"] == "req.1_a-B"
    assert body["correlation_id"] == "corr-99"
    assert body["log_context"] == {
        "request_id": "req.1_a-B",
        "correlation_id": "corr-99",
        "item_id": "42",
    }


@pytest.mark.parametrize("bad", ["x" * 101, "has space", "semi;colon", "new\\nline", "ünïcode"])
def test_invalid_incoming_ids_are_replaced(client: TestClient, bad: str) -> None:
    response = client.get("/v1/items/1", headers=[(b"X-Request-ID", bad.encode("utf-8"))])

    assert response.headers["x-request-id"] != bad
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_log_context_is_fresh_per_request_and_the_callers_is_restored(app: FastAPI) -> None:
    # ASGITransport runs the app in the caller's own context, the harshest case.
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(caller="test")
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            await http.get("/v1/items/secret-item", headers={"X-Request-ID": "first"})
            second = await http.get("/v1/context", headers={"X-Request-ID": "second"})

        assert second.json()["log_context"] == {"request_id": "second", "correlation_id": "second"}
        assert structlog.contextvars.get_contextvars() == {"caller": "test"}
        assert current_request_id() is None
    finally:
        structlog.contextvars.clear_contextvars()


def test_one_completion_line_per_request_with_route_template_and_no_query_string(
    client: TestClient, log_stream: io.StringIO
) -> None:
    client.get("/v1/items/abc?access_token=leaky-token-value&q=x", headers={"X-Request-ID": "r-7"})

    assert "leaky-token-value" not in log_stream.getvalue()
    (line,) = log_lines(log_stream, "request_completed")
    assert "access_token" not in json.dumps(line)
    assert line["method"] == "GET"
    assert line["path"] == "/v1/items/{item_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["request_id"] == "r-7"


def test_unmatched_paths_are_logged_without_query_string(
    client: TestClient, log_stream: io.StringIO
) -> None:
    client.get("/v1/unknown/thing?token=leaky")

    (line,) = log_lines(log_stream, "request_completed")
    assert line["path"] == "/v1/unknown/thing"
    assert line["status"] == 404
    assert "leaky" not in log_stream.getvalue()


def _sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_requests_by_method_route_template_and_status(client: TestClient) -> None:
    labels = {"method": "GET", "route": "/v1/items/{item_id}", "status": "200"}
    unmatched = {"method": "GET", "route": UNMATCHED_ROUTE, "status": "404"}
    before = _sample("http_requests_total", labels)
    before_hist = _sample("http_request_duration_seconds_count", labels)
    before_unmatched = _sample("http_requests_total", unmatched)

    client.get("/v1/items/1")
    client.get("/v1/items/2")
    client.get("/v1/random/scanner/path")

    assert _sample("http_requests_total", labels) == before + 2
    assert _sample("http_request_duration_seconds_count", labels) == before_hist + 2
    assert _sample("http_requests_total", unmatched) == before_unmatched + 1
    exposition = client.get("/metrics").text
    assert 'route="/v1/items/{item_id}"' in exposition
    assert "/v1/random/scanner/path" not in exposition


async def test_middleware_passes_non_http_scopes_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    middleware = RequestContextMiddleware(inner)
    await middleware({"type": "lifespan"}, _never_receive, _never_send)

    assert seen == ["lifespan"]


async def _never_receive() -> Any:
    raise AssertionError("not expected")


async def _never_send(message: Any) -> None:
    raise AssertionError("not expected")


# --- health -------------------------------------------------------------------------


def passing(name: str, **detail: Any) -> Callable[[], Any]:
    async def check() -> CheckResult:
        return CheckResult(name=name, ok=True, detail=detail)

    check.__name__ = name
    return check


def failing(name: str) -> Callable[[], Any]:
    async def check() -> CheckResult:
        return CheckResult(name=name, ok=False, detail={"reason": "unreachable"})

    check.__name__ = name
    return check


def sleeping(name: str, seconds: float) -> Callable[[], Any]:
    async def check() -> CheckResult:
        await asyncio.sleep(seconds)
        return CheckResult(name=name, ok=True)

    check.__name__ = name
    return check


def test_healthz_answers_while_the_process_is_up(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_with_no_checks_is_ready(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {}}


def test_checks_registered_by_the_lifespan_decide_readiness(settings: ServiceSettings) -> None:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.readiness.add(passing("store", backend="sqlite"))
        app.state.readiness.add(failing("broker"))
        yield

    app = create_app(settings, title="t", version="1", lifespan=lifespan, routers=[])
    with TestClient(app) as test_client:
        response = test_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not_ready",
        "checks": {
            "store": {"ok": True, "backend": "sqlite"},
            "broker": {"ok": False, "reason": "unreachable"},
        },
    }


def test_all_passing_checks_make_the_service_ready(settings: ServiceSettings) -> None:
    app = create_app(settings, title="t", version="1", lifespan=None, routers=[])
    app.state.readiness.add(passing("store"))
    app.state.readiness.add(passing("broker", topics=12))

    with TestClient(app) as test_client:
        response = test_client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"] == {"ok": True, "topics": 12}


def test_a_raising_check_fails_without_revealing_its_message(settings: ServiceSettings) -> None:
    async def store() -> CheckResult:
        raise ConnectionError("mongodb://admin:pw@db-7.internal refused")

    app = create_app(settings, title="t", version="1", lifespan=None, routers=[])
    app.state.readiness.add(store)

    with TestClient(app) as test_client:
        response = test_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"store": {"ok": False, "error": "ConnectionError"}}
    assert "db-7" not in response.text


def test_checks_run_concurrently_and_a_slow_one_times_out() -> None:
    registry = ReadinessRegistry(
        [sleeping("a", 0.3), sleeping("b", 0.3), sleeping("stuck", 30)], timeout_s=0.5
    )
    app = FastAPI()
    app.include_router(health_router(registry))

    with TestClient(app) as test_client:
        started = time.perf_counter()
        response = test_client.get("/readyz")
        elapsed = time.perf_counter() - started

    assert response.status_code == 503
    assert response.json()["checks"] == {
        "a": {"ok": True},
        "b": {"ok": True},
        "stuck": {"ok": False, "error": "timeout"},
    }
    # Sequential checks would take 0.3 + 0.3 + 0.5 s.
    assert elapsed < 0.95


def test_health_router_accepts_a_callable_returning_the_current_checks() -> None:
    checks: list[Any] = [passing("store")]
    app = FastAPI()
    app.include_router(health_router(lambda: checks))

    with TestClient(app) as test_client:
        assert test_client.get("/readyz").status_code == 200
        checks.append(failing("broker"))
        assert test_client.get("/readyz").status_code == 503


def test_app_state_may_hold_a_plain_list_of_checks() -> None:
    app = FastAPI()
    app.include_router(health_router())
    app.state.readiness = [failing("store")]

    with TestClient(app) as test_client:
        response = test_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["store"]["ok"] is False


def test_metrics_are_served_in_prometheus_text_format(client: TestClient) -> None:
    client.get("/healthz")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE http_requests_total counter" in response.text
    assert "# TYPE http_request_duration_seconds histogram" in response.text


# --- app factory and server ---------------------------------------------------------------


def test_create_app_publishes_openapi_with_service_and_health_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert schema["info"] == {"title": "Demo", "version": "1.2.3"}
    assert {"/healthz", "/readyz", "/metrics", "/v1/items/{item_id}"} <= set(schema["paths"])


def test_create_app_keeps_the_settings_on_the_app(app: FastAPI, settings: ServiceSettings) -> None:
    assert app.state.settings is settings
    assert isinstance(app.state.readiness, ReadinessRegistry)


def test_server_uses_uvloop_httptools_and_leaves_logging_to_us(app: FastAPI) -> None:
    settings = ServiceSettings(host="127.0.0.1", port=8123)

    config = build_server(app, settings).config

    assert (config.host, config.port) == ("127.0.0.1", 8123)
    assert config.loop == "uvloop"
    assert config.http == "httptools"
    assert config.log_config is None
    assert config.access_log is False


@contextmanager
def running(app: FastAPI, settings: ServiceSettings) -> Iterator[str]:
    """Serve ``app`` with the production server set-up on a free port in a thread."""
    server = build_server(app, settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_server_sent_events_stream_through_the_middleware_unbuffered(
    settings: ServiceSettings,
) -> None:
    release = threading.Event()
    router = APIRouter()

    @router.get("/v1/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b"data: first\n\n"
            # The second event waits for the client to have seen the first: a
            # buffering middleware would deadlock here until the timeout.
            while not release.is_set():
                await asyncio.sleep(0.01)
            yield b"data: second\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    app = create_app(settings, title="t", version="1", lifespan=None, routers=[router])
    with (
        running(app, settings) as base_url,
        httpx.Client(base_url=base_url, timeout=5) as http,
        http.stream("GET", "/v1/stream", headers={"X-Request-ID": "sse-1"}) as response,
    ):
        assert response.headers["x-request-id"] == "sse-1"
        chunks = response.iter_bytes()
        first = next(chunks)
        release.set()
        rest = b"".join(chunks)

    assert first == b"data: first\n\n"
    assert rest == b"data: second\n\n"
