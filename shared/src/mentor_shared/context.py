"""Request and correlation ids carried through every hop (HTTP -> event -> consumer)."""

from __future__ import annotations

from contextvars import ContextVar

_correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

CORRELATION_HEADER = "X-Correlation-ID"
REQUEST_HEADER = "X-Request-ID"


def current_correlation_id() -> str | None:
    """The correlation id of the work in progress, if any."""
    return _correlation_id.get()


def current_request_id() -> str | None:
    """The id of the HTTP request in progress, if any."""
    return _request_id.get()


def set_correlation_id(value: str | None) -> None:
    """Set the correlation id for the current task (and structlog's context)."""
    import structlog

    _correlation_id.set(value)
    if value:
        structlog.contextvars.bind_contextvars(correlation_id=value)


def set_request_id(value: str | None) -> None:
    """Set the request id for the current task (and structlog's context)."""
    import structlog

    _request_id.set(value)
    if value:
        structlog.contextvars.bind_contextvars(request_id=value)
