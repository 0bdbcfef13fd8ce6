"""OpenTelemetry tracing across HTTP, the outbox, Kafka and the email worker.

Off unless the standard ``OTEL_*`` variables ask for it (:func:`tracing_requested`):
with nothing set no tracer provider, exporter or instrumentation exists, and each
hook below returns after one flag test. When on, one provider per process sends
spans in batches to the configured exporter (OTLP over HTTP, or the console), and
the FastAPI apps (through OpenTelemetry's ASGI middleware), httpx, aiokafka and
PyMongo are instrumented.

The trace context crosses the bus in the W3C form: :func:`trace_headers` captures
``traceparent`` (and ``tracestate``) of the span that writes an event to the
outbox; the outbox stores them with the event's other Kafka headers, the relay
publishes them unchanged, and :func:`processing_span` makes the consumer's
processing of each event a child of that span. Work queued by a consumer and done
later (an email) keeps the context as a string (:func:`current_trace_context`) and
opens its span under it with :func:`span_under`.

Privacy: nothing the instrumentations record leaves the process unchecked. Every
span goes through :class:`RedactingSpanProcessor` before the exporter: query
strings are dropped from URLs (verification, reset and unsubscribe links carry
tokens there), outgoing calls keep only the origin of theirs, captured secret
headers (Authorization, cookies) are removed, and every other string
(attributes, event attributes, the status text) is scrubbed by the log
redaction rules of :mod:`mentor_shared.logs`. Request and message
bodies are never recorded: no instrumentation here captures them, and the spans
this project opens carry ids and types only.

The provider is this module's own and is handed to each instrumentation; the
process-wide OpenTelemetry provider is left unset, so nothing else in the process
(FastAPI's built-in telemetry among it) starts spans behind these rules.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

import structlog

from mentor_shared.logs import REDACTED, is_redacted_key, scrub_text

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

log = structlog.get_logger(__name__)

TRACEPARENT: Final = "traceparent"
TRACESTATE: Final = "tracestate"
UNTRACED_PATHS: Final = ("/healthz", "/readyz", "/metrics")
"""Probes and scrapes: a span every few seconds that says nothing."""

# Attributes that hold a URL or its query: the query is cut off (tokens ride there).
_URL_ATTRIBUTES: Final = frozenset({"url.full", "http.url", "http.target", "url.original"})
_QUERY_ATTRIBUTES: Final = frozenset({"url.query", "http.query"})
_HEADER_PREFIXES: Final = ("http.request.header.", "http.response.header.")
# The caller's address and port: the logs do not keep them, nor do spans.
_PEER_ATTRIBUTES: Final = frozenset(
    {"net.peer.ip", "net.peer.port", "client.address", "client.port", "http.client_ip"}
    | {"net.sock.peer.addr", "net.sock.peer.port", "network.peer.address", "network.peer.port"}
)


@dataclass
class _State:
    provider: TracerProvider | None = None
    tracer: Tracer | None = None
    instrumented: tuple[Any, ...] = ()


_state = _State()


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def tracing_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the ``OTEL_*`` variables turn tracing on.

    Off by default, unlike the OpenTelemetry SDK's own default of OTLP: on only when
    ``OTEL_TRACES_EXPORTER`` names an exporter other than ``none``, or, with it
    unset, when an OTLP endpoint is given (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``). ``OTEL_SDK_DISABLED=true`` wins.
    """
    env = os.environ if environ is None else environ
    if _flag(env, "OTEL_SDK_DISABLED"):
        return False
    exporters = [e.strip().lower() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    if any(exporters):
        return any(e not in ("", "none") for e in exporters)
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def tracing_enabled() -> bool:
    """Whether this process records spans."""
    return _state.provider is not None


def _traces_endpoint(environ: Mapping[str, str]) -> str | None:
    """Where OTLP spans go: the traces endpoint as given, or the base endpoint's
    ``/v1/traces`` (the OTLP/HTTP rule); None leaves the exporter's default."""
    traces = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if traces:
        return traces
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return f"{base.rstrip('/')}/v1/traces" if base else None


def _exporters(environ: Mapping[str, str]) -> list[SpanExporter]:
    names = [e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",")]
    exporters: list[SpanExporter] = []
    for name in names:
        if name in ("", "none"):
            continue
        if name == "otlp":
            protocol = (
                environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
                or "http/protobuf"
            )
            if protocol != "http/protobuf":
                raise ValueError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported: "
                    "use http/protobuf (a collector's port 4318)"
                )
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            # Headers, timeout and compression come from the OTEL_EXPORTER_OTLP_* variables.
            exporters.append(OTLPSpanExporter(endpoint=_traces_endpoint(environ)))
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER={name} is not supported: use otlp or console")
    return exporters


def configure_tracing(
    service_name: str,
    *,
    exporter: SpanExporter | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Set up tracing for this process from the ``OTEL_*`` variables; True if on.

    Called by every service's app factory; the first call in a process decides,
    later ones change nothing. ``OTEL_SERVICE_NAME`` overrides ``service_name``;
    sampling follows ``OTEL_TRACES_SAMPLER`` (default: every trace, or as its
    parent decided), batching the ``OTEL_BSP_*`` variables.

    Args:
        service_name: The ``service.name`` of the spans unless ``OTEL_SERVICE_NAME`` is set.
        exporter: Export here instead (tests pass the SDK's in-memory exporter);
            tracing is then on whatever the variables say, unless the SDK is disabled.
        environ: The variables to read (``os.environ`` by default).
    """
    env = os.environ if environ is None else environ
    if _state.provider is not None:
        return True
    if _flag(env, "OTEL_SDK_DISABLED") or (exporter is None and not tracing_requested(env)):
        return False

    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    name = env.get("OTEL_SERVICE_NAME") or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    if exporter is not None:
        # Synchronous: a test reads the spans as soon as the work is done.
        provider.add_span_processor(_redacting(SimpleSpanProcessor(exporter)))
    for each in _exporters(env) if exporter is None else []:
        provider.add_span_processor(_redacting(BatchSpanProcessor(each)))
    _state.provider = provider
    _state.tracer = provider.get_tracer("mentor_shared")
    _state.instrumented = _instrument_libraries(provider)
    log.info("tracing_enabled", service_name=name)
    return True


def _instrument_libraries(provider: TracerProvider) -> tuple[Any, ...]:
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

    instrumentors: list[Any] = []
    for instrumentor in (HTTPXClientInstrumentor(), AIOKafkaInstrumentor(), PymongoInstrumentor()):
        if not instrumentor.is_instrumented_by_opentelemetry:
            # PyMongo's statements stay off (the default): only command names are kept.
            instrumentor.instrument(tracer_provider=provider)
            instrumentors.append(instrumentor)
    return tuple(instrumentors)


def _span_details(scope: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    # The method alone at first (the raw path may hold ids); the request middleware
    # adds the route template once the router has matched (name_server_span).
    return str(scope.get("method") or "HTTP"), {}


def instrument_app(app: FastAPI) -> None:
    """Trace the app's HTTP requests (one server span each), if tracing is on.

    OpenTelemetry's ASGI middleware, outermost, rather than the FastAPI
    instrumentation's wrapper of it: that one finds the route by matching every route
    again on every request (1.2 ms a request on the profile service, measured), while
    :class:`mentor_shared.web.middleware.RequestContextMiddleware` already knows the
    matched route and names the span with it.
    """
    if _state.provider is None:
        return
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    app.add_middleware(
        OpenTelemetryMiddleware,
        excluded_urls=",".join(f"^[a-z]+://[^/]+{path}(\\?|$)" for path in UNTRACED_PATHS),
        default_span_details=_span_details,
        tracer_provider=_state.provider,
        # One span per request, not one more per body chunk received and sent.
        exclude_spans=["receive", "send"],
    )


def name_server_span(method: str, route: str | None) -> None:
    """Name the current request's span after its route template (``GET /v1/matches/{id}``)."""
    if _state.provider is None or route is None:
        return
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        span.update_name(f"{method} {route}")
        span.set_attribute("http.route", route)


def shutdown_tracing() -> None:
    """Send what is buffered and stop tracing (at process exit, and after a test)."""
    provider, instrumented = _state.provider, _state.instrumented
    _state.provider, _state.tracer, _state.instrumented = None, None, ()
    for instrumentor in instrumented:
        instrumentor.uninstrument()
    if provider is not None:
        provider.shutdown()


# --- the trace context across the outbox and the bus ---------------------------------


def trace_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span; empty when there is none."""
    if _state.provider is None:
        return {}
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    carrier: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(carrier)
    return carrier


def current_trace_context() -> str | None:
    """The current span's context as a string to store with queued work, or None."""
    headers = trace_headers()
    return json.dumps(headers, separators=(",", ":")) if headers else None


def _headers_from_record(headers: Sequence[tuple[str, bytes]] | None) -> dict[str, str]:
    carrier: dict[str, str] = {}
    for key, value in headers or ():
        if key in (TRACEPARENT, TRACESTATE) and value is not None:
            carrier[key] = value.decode("latin-1")
    return carrier


def _start_span(
    name: str, carrier: Mapping[str, str], kind_name: str, attributes: Mapping[str, Any]
) -> AbstractContextManager[Any]:
    from opentelemetry.trace import SpanKind
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    assert _state.tracer is not None
    parent = TraceContextTextMapPropagator().extract(carrier)
    # Exceptions are recorded by type only (in _span_status): their messages can
    # quote what a person wrote, and the logs hold the redacted details.
    return _state.tracer.start_as_current_span(
        name,
        context=parent,
        kind=SpanKind[kind_name],
        attributes=dict(attributes),
        record_exception=False,
        set_status_on_exception=False,
    )


@contextlib.contextmanager
def _span_status(span_cm: AbstractContextManager[Any]) -> Iterator[None]:
    from opentelemetry.trace import StatusCode

    with span_cm as span:
        try:
            yield
        except BaseException as exc:
            span.set_status(StatusCode.ERROR, type(exc).__name__)
            span.set_attribute("error.type", type(exc).__name__)
            raise


_NO_SPAN: Final = contextlib.nullcontext()


def processing_span(
    *,
    group: str,
    topic: str,
    event_id: str,
    event_type: str,
    record_headers: Sequence[tuple[str, bytes]] | None,
) -> AbstractContextManager[Any]:
    """A consumer span for handling one event, child of the span that wrote it.

    The parent comes from the record's ``traceparent`` header; an event without one
    (written while tracing was off, or by another producer) starts a trace.
    """
    if _state.provider is None:
        return _NO_SPAN
    return _span_status(
        _start_span(
            f"process {topic}",
            _headers_from_record(record_headers),
            "CONSUMER",
            {
                "messaging.system": "kafka",
                "messaging.operation.type": "process",
                "messaging.destination.name": topic,
                "messaging.consumer.group.name": group,
                "messaging.message.id": event_id,
                "mentor.event.type": event_type,
            },
        )
    )


def span_under(
    name: str, trace_context: str | None, attributes: Mapping[str, Any]
) -> AbstractContextManager[Any]:
    """A span for deferred work, child of the stored ``trace_context`` when there is one."""
    if _state.provider is None:
        return _NO_SPAN
    carrier: dict[str, str] = {}
    if trace_context:
        with contextlib.suppress(ValueError, TypeError):
            loaded = json.loads(trace_context)
            if isinstance(loaded, dict):
                carrier = {k: v for k, v in loaded.items() if isinstance(v, str)}
    return _span_status(_start_span(name, carrier, "INTERNAL", attributes))


# --- redaction ---------------------------------------------------------------------


def _without_query(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]


def _origin(url: str) -> str:
    # Outgoing calls keep scheme, host and port only: a department's webhook address
    # can hold a secret in its path. The called service's own span has the route.
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


_DROP, _URL, _WITHHOLD, _SCRUB = range(4)


@lru_cache(maxsize=512)
def _attribute_rule(key: str) -> int:
    """What happens to an attribute's value, decided once per attribute name."""
    if key in _QUERY_ATTRIBUTES or key in _PEER_ATTRIBUTES:
        return _DROP
    if key in _URL_ATTRIBUTES:
        return _URL
    last = key.rsplit(".", 1)[-1]
    if is_redacted_key(last):
        # A captured secret header goes entirely; any other secret-named value is withheld.
        return _DROP if key.startswith(_HEADER_PREFIXES) else _WITHHOLD
    return _SCRUB


def redact_attributes(
    attributes: Mapping[str, Any] | None, *, outgoing: bool = False
) -> dict[str, Any]:
    """Span attributes with secrets, contact details and query strings removed.

    ``outgoing``: the attributes of a client span, whose URLs keep their origin only.
    """
    cleaned: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        rule = _attribute_rule(key)
        if rule == _DROP:
            continue
        if rule == _WITHHOLD:
            cleaned[key] = REDACTED
        elif isinstance(value, str) and rule == _URL:
            cleaned[key] = scrub_text(_origin(value) if outgoing else _without_query(value))
        elif isinstance(value, str):
            cleaned[key] = scrub_text(value)
        elif isinstance(value, tuple | list):
            cleaned[key] = tuple(scrub_text(v) if isinstance(v, str) else v for v in value)
        else:
            cleaned[key] = value
    return cleaned


def _redacting(inner: SpanProcessor) -> SpanProcessor:
    # Duck-typed rather than a subclass, so that importing this module does not
    # load the SDK when tracing is off.
    return cast("SpanProcessor", RedactingSpanProcessor(inner))


class RedactingSpanProcessor:
    """Hands each finished span to ``inner`` with its attributes, events and status
    text redacted (see the module docstring); the exporter never sees the original."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: Span) -> None:
        # Newer SDKs call this before on_end; nothing to do here.
        return None

    def on_end(self, span: ReadableSpan) -> None:
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.trace import SpanKind, Status

        events = [
            Event(event.name, redact_attributes(event.attributes), event.timestamp)
            for event in span.events
        ]
        status = span.status
        if status.description:
            status = Status(status.status_code, scrub_text(status.description))
        cleaned = ReadableSpan(
            name=scrub_text(_without_query(span.name)),
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=redact_attributes(span.attributes, outgoing=span.kind is SpanKind.CLIENT),
            events=events,
            links=span.links,
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )
        self._inner.on_end(cleaned)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))
