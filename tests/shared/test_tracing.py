"""One trace from an HTTP request through the outbox, Kafka and a consumer to the email,
and spans that hold no contact details or tokens.

The traced system: the profile service served over real HTTP, the notifications
service with its consumers and delivery worker, the embedded broker and a real
SMTP server, all in this process, with the SDK's in-memory exporter behind the
project's redaction.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from mentor_shared import tracing
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.web.app import build_server
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings
from profile_service.api.app import create_profile_app
from tests.notifications.conftest import SmtpSink
from tests.profile.helpers import PASSWORD, profile_settings
from tests.sealing import SEAL_KEY

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class TracedSystem:
    profile_url: str
    smtp: SmtpSink
    spans: InMemorySpanExporter

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


async def eventually(check: Callable[[], bool], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def _serve(server: uvicorn.Server) -> asyncio.Task[None]:
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, timeout=30)
    return task


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def traced(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TracedSystem]:
    spans = InMemorySpanExporter()
    assert tracing.configure_tracing("tests", exporter=spans, environ={})
    broker = EmbeddedBroker().start()
    smtp = SmtpSink()
    smtp.start()
    data_dir: Path = tmp_path_factory.mktemp("traced")
    profile_port = free_port()
    profile = profile_settings(
        broker.bootstrap_servers, data_dir / "profile", port=profile_port, host="127.0.0.1"
    )
    notifications = NotificationsSettings(
        environment="test",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        data_dir=data_dir / "notifications",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_s=2.0,
        unsubscribe_secret="tracing-test-unsubscribe-secret",
        event_seal_key=SEAL_KEY,
        delivery_poll_interval_s=0.1,
    )
    profile_app = create_profile_app(profile)
    notifications_app = create_notifications_app(notifications)
    server = build_server(profile_app, profile)
    try:
        async with notifications_app.router.lifespan_context(notifications_app):
            task = await _serve(server)
            try:
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{profile_port}") as c:
                    ready = (await c.get("/readyz")).status_code
                assert ready == 200
                yield TracedSystem(f"http://127.0.0.1:{profile_port}", smtp, spans)
            finally:
                server.should_exit = True
                await task
    finally:
        tracing.shutdown_tracing()
        smtp.stop()
        broker.stop()


def _span_text(span: ReadableSpan) -> str:
    """Everything a span would export, as one string."""
    return json.dumps(
        {
            "name": span.name,
            "attributes": dict(span.attributes or {}),
            "events": [(e.name, dict(e.attributes or {})) for e in span.events],
            "status": span.status.description,
        },
        default=str,
    )


async def test_one_trace_runs_from_a_sign_up_through_the_bus_to_its_email(
    traced: TracedSystem,
) -> None:
    address = f"trace-{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"
    async with httpx.AsyncClient(base_url=traced.profile_url, timeout=10) as client:
        response = await client.post(
            "/v1/accounts",
            json={"email": address, "password": PASSWORD, "display_name": "Ada Lovelace"},
        )
    assert response.status_code == 201, response.text
    await eventually(lambda: len(traced.smtp.to(address)) == 1)

    def email_span() -> ReadableSpan | None:
        return next((s for s in traced.finished() if s.name == "send email"), None)

    await eventually(lambda: email_span() is not None, timeout=10)
    spans = traced.finished()
    client_span = next(
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and s.instrumentation_scope is not None
        and "httpx" in s.instrumentation_scope.name
        and s.name == "POST"
    )
    trace_id = client_span.context.trace_id
    server = [s for s in spans if s.kind is SpanKind.SERVER and s.context.trace_id == trace_id]
    assert server, "the profile service's request span joins the caller's trace"
    processed = [
        s
        for s in spans
        if s.name == "process account"
        and s.context.trace_id == trace_id
        and (s.attributes or {}).get("messaging.consumer.group.name") == "notifications"
    ]
    # Both events the request wrote were processed in its trace by the other service.
    assert {(s.attributes or {}).get("mentor.event.type") for s in processed} == {
        "account.registered",
        "account.verification_requested",
    }
    assert all(s.parent is not None and s.parent.is_remote for s in processed)
    email = email_span()
    assert email is not None
    assert email.context.trace_id == trace_id
    assert email.parent is not None
    assert email.parent.span_id in {s.context.span_id for s in processed}
    assert all(address not in _span_text(s) for s in spans)


async def test_spans_of_a_request_with_an_email_and_a_token_in_its_query_hold_neither(
    traced: TracedSystem,
) -> None:
    traced.spans.clear()
    address = "grace.hopper@cabinetoffice.gov.uk"
    secret = "tok-Zq81secretvalue"
    bearer = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
    async with httpx.AsyncClient(base_url=traced.profile_url, timeout=10) as client:
        response = await client.get(
            "/v1/profiles",
            params={"q": address, "token": secret, "access_token": bearer},
            headers={"Authorization": f"Bearer {bearer}"},
        )
    assert response.status_code == 401
    spans = traced.finished()
    server = [s for s in spans if s.kind is SpanKind.SERVER]
    client = [s for s in spans if s.kind is SpanKind.CLIENT]
    assert server, "the service traced the request"
    assert client, "the caller traced the request"
    assert [s.name for s in server] == ["GET /v1/profiles"]
    assert "net.peer.ip" not in (server[0].attributes or {}), "the caller's address is not kept"
    assert [(s.attributes or {}).get("http.url") for s in client] == [traced.profile_url]
    for span in spans:
        text = _span_text(span)
        for fragment in (address, "grace.hopper", secret, bearer, "token="):
            assert fragment not in text, (span.name, fragment)
