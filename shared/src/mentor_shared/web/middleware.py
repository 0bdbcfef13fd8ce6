"""Per-request ids, one log line and Prometheus metrics for every HTTP request.

A pure ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: the latter
buffers through a memory stream and breaks server-sent event streams and
background tasks in subtle ways; this one only wraps ``send``.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Final

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mentor_shared.context import (
    CORRELATION_HEADER,
    REQUEST_HEADER,
    current_correlation_id,
    current_request_id,
    set_correlation_id,
    set_request_id,
)
from mentor_shared.tracing import name_server_span
from mentor_shared.web.errors import log_unhandled_error, unexpected_error_response

log = structlog.get_logger(__name__)

_VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
# Probes and scrapes arrive every few seconds; they are logged at debug level.
QUIET_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
# Requests that matched no route share one label: raw paths from scanners would
# otherwise create a new time series each.
UNMATCHED_ROUTE: Final = "<unmatched>"

HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests handled, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time from request start to the end of the response body",
    ["method", "route", "status"],
)


def accept_id(value: str | None) -> str | None:
    """Return ``value`` if it is a safe id (1-100 of ``A-Za-z0-9._-``), else ``None``."""
    if value is not None and _VALID_ID.fullmatch(value):
        return value
    return None


def _route_template(scope: Scope) -> str | None:
    # The router records the matched route in the scope it was handed, which is
    # the same dict this middleware passed down.
    route = scope.get("route")
    if route is None:
        return None
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


class RequestContextMiddleware:
    """Give each HTTP request its ids, a ``request_completed`` log line and metrics.

    ``X-Request-ID`` and ``X-Correlation-ID`` are taken from the request when they
    are valid, otherwise generated (the correlation id then equals the request
    id, as this request starts the chain). Both are set in
    :mod:`mentor_shared.context` and structlog's context for the request's
    duration, and echoed in the response headers. The query string is never
    logged: it can carry tokens. An exception that escapes the app before the
    response starts is logged and answered with the shared 500 body here, so
    that response still carries the ids.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        headers = Headers(scope=scope)
        request_id = accept_id(headers.get(REQUEST_HEADER)) or uuid.uuid4().hex
        correlation_id = accept_id(headers.get(CORRELATION_HEADER)) or request_id

        # In-process transports (tests) share the caller's context, so restore it after.
        outer_log_context = structlog.contextvars.get_contextvars()
        outer_ids = (current_request_id(), current_correlation_id())
        structlog.contextvars.clear_contextvars()
        set_request_id(request_id)
        set_correlation_id(correlation_id)

        status = 500
        response_started = False
        method = str(scope.get("method", ""))

        async def send_with_ids(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = int(message["status"])
                response_headers = MutableHeaders(scope=message)
                response_headers[REQUEST_HEADER] = request_id
                response_headers[CORRELATION_HEADER] = correlation_id
                # Before the body: the request's span ends with the last of it.
                name_server_span(method, _route_template(scope))
            await send(message)

        path = str(scope.get("path", ""))
        started_at = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_ids)
        except Exception as exc:
            if response_started:
                # Part of the body is already on the wire: nothing sane to send.
                log_unhandled_error(exc, method=method, path=path)
                raise
            response = unexpected_error_response(exc, method=method, path=path)
            await response(scope, receive, send_with_ids)
        finally:
            duration_s = time.perf_counter() - started_at
            template = _route_template(scope)
            HTTP_REQUESTS.labels(method, template or UNMATCHED_ROUTE, str(status)).inc()
            HTTP_REQUEST_DURATION.labels(method, template or UNMATCHED_ROUTE, str(status)).observe(
                duration_s
            )
            fields = {
                "method": method,
                "path": template or path,
                "status": status,
                "duration_ms": round(duration_s * 1000, 2),
            }
            if status >= 500:
                log.error("request_completed", **fields)
            elif path in QUIET_PATHS:
                log.debug("request_completed", **fields)
            else:
                log.info("request_completed", **fields)

            structlog.contextvars.clear_contextvars()
            structlog.contextvars.bind_contextvars(**outer_log_context)
            set_request_id(outer_ids[0])
            set_correlation_id(outer_ids[1])
