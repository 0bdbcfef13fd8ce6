"""With the OTEL_* variables unset, tracing is off: no provider, exporter,
instrumentation or trace header."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mentor_shared import tracing
from mentor_shared.bus.sqlite_store import BUS_SCHEMA, SqliteUnitOfWork
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.api.app import create_profile_app
from tests.profile.helpers import profile_settings
from tests.shared.ledger import ledger_event


def test_tracing_is_off_unless_the_otel_variables_ask_for_it() -> None:
    assert not tracing.tracing_requested({})
    assert not tracing.tracing_requested({"OTEL_SERVICE_NAME": "profile"})
    assert not tracing.tracing_requested({"OTEL_TRACES_EXPORTER": "none"})
    assert tracing.tracing_requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert tracing.tracing_requested({"OTEL_TRACES_EXPORTER": "console"})
    assert not tracing.tracing_requested(
        {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    )


@pytest.fixture
def untraced() -> Iterator[None]:
    """A process in which tracing was never turned on."""
    assert not tracing.tracing_enabled()
    yield
    tracing.shutdown_tracing()


async def test_with_tracing_off_no_span_exporter_or_trace_header_exists(
    untraced: None, tmp_path: Path
) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    settings = profile_settings("127.0.0.1:9", tmp_path)
    app = create_profile_app(settings)  # configures tracing from this process's variables
    assert not tracing.tracing_enabled()
    assert not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    assert not [m for m in app.user_middleware if "opentelemetry" in m.cls.__module__]
    assert tracing.trace_headers() == {}
    assert tracing.current_trace_context() is None

    db = await SqliteDatabase(tmp_path / "bus.db", [BUS_SCHEMA]).open()
    try:
        async with SqliteUnitOfWork(db) as uow:
            uow.add_event(ledger_event("key-1", 0))
            await uow.commit()
        row = await db.fetchone("SELECT headers FROM outbox")
    finally:
        await db.close()
    assert row is not None
    headers: dict[str, Any] = json.loads(row["headers"])
    assert "traceparent" not in headers
    assert headers["event_type"]


def test_an_exporter_this_build_cannot_use_stops_the_start_and_leaves_tracing_off() -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER=zipkin is not supported"):
        tracing.configure_tracing("profile", environ={"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(ValueError, match="use http/protobuf"):
        tracing.configure_tracing(
            "profile",
            environ={
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            },
        )
    assert not tracing.tracing_enabled()
