"""One error shape for every response that is not a success.

Every error a service returns reads ``{"error": {"code", "message", "details"}}``
(DESIGN.md, "Public HTTP contract"): raised errors of the one hierarchy
(:mod:`mentor_shared.errors`, the domains' and :class:`ApiError`), request
validation failures, routing errors (404, 405) and unexpected exceptions alike.
Nothing returns a stack trace; unexpected exceptions are logged instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from mentor_shared.errors import DomainError, Family
from mentor_shared.storage.conflicts import is_transient

log = structlog.get_logger(__name__)

INTERNAL_ERROR_MESSAGE = "Something went wrong on our side"
_DOCUMENTED_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
"""The methods an OpenAPI path item can list, in the order ``Allow`` gives them."""


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable code and a sentence for people."""

    code: str = Field(description="Stable snake_case code clients can branch on")
    message: str = Field(description="Human-readable explanation")
    details: Any = Field(default=None, description="Extra structured information, or null")


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorBody


FAMILY_STATUS: dict[Family, int] = {
    Family.BAD_REQUEST: HTTPStatus.BAD_REQUEST,
    Family.INVALID: HTTPStatus.UNPROCESSABLE_ENTITY,
    Family.UNAUTHENTICATED: HTTPStatus.UNAUTHORIZED,
    Family.FORBIDDEN: HTTPStatus.FORBIDDEN,
    Family.NOT_FOUND: HTTPStatus.NOT_FOUND,
    Family.CONFLICT: HTTPStatus.CONFLICT,
    Family.GONE: HTTPStatus.GONE,
    Family.TOO_LARGE: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    Family.RATE_LIMITED: HTTPStatus.TOO_MANY_REQUESTS,
    Family.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    Family.INTERNAL: HTTPStatus.INTERNAL_SERVER_ERROR,
}
"""The one place an error's family becomes an HTTP status."""


def status_of(error: DomainError) -> int:
    """The HTTP status of an error raised on purpose."""
    return int(FAMILY_STATUS[error.family])


class ApiError(DomainError):
    """An error the HTTP layer itself raises (authentication, uploads, limits).

    The same hierarchy as the domains' errors (:mod:`mentor_shared.errors`), so one
    handler renders both; ``status`` is read from the family.
    """

    @property
    def status(self) -> int:
        """The HTTP status this error is answered with."""
        return status_of(self)

    def to_body(self) -> dict[str, Any]:
        """The JSON body for this error."""
        return error_body(self.code, self.message, self.details)


class BadRequest(ApiError):
    """400: the request cannot be understood as sent."""

    family = Family.BAD_REQUEST
    code = "bad_request"
    message = "The request is not valid"


class Unauthorized(ApiError):
    """401: no valid credentials; carries ``WWW-Authenticate: Bearer``."""

    family = Family.UNAUTHENTICATED
    code = "unauthorized"
    message = "Sign in to continue"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        bearer_error: str | None = None,
    ) -> None:
        # RFC 6750: name the problem (e.g. "invalid_token") only when a token was sent.
        challenge = f'Bearer error="{bearer_error}"' if bearer_error else "Bearer"
        super().__init__(
            message, code=code, details=details, headers={"WWW-Authenticate": challenge}
        )


class Forbidden(ApiError):
    """403: signed in, but not allowed to do this."""

    family = Family.FORBIDDEN
    code = "forbidden"
    message = "You do not have permission to do this"


class NotFound(ApiError):
    """404: no such resource (or the caller may not know it exists)."""

    family = Family.NOT_FOUND
    code = "not_found"
    message = "Not found"


class Conflict(ApiError):
    """409: the request clashes with the current state."""

    family = Family.CONFLICT
    code = "conflict"
    message = "The request conflicts with the current state"


class Unprocessable(ApiError):
    """422: well-formed, but breaks a rule (weak password, domain not allowed...)."""

    family = Family.INVALID
    code = "unprocessable"
    message = "The request could not be processed"


class TooManyRequests(ApiError):
    """429: slow down; carries ``Retry-After`` in whole seconds."""

    family = Family.RATE_LIMITED
    code = "too_many_requests"
    message = "Too many requests, try again later"

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after_s: int,
        code: str | None = None,
        details: Any = None,
    ) -> None:
        self.retry_after_s = max(0, int(retry_after_s))
        super().__init__(
            message,
            code=code,
            details=details,
            headers={"Retry-After": str(self.retry_after_s)},
        )


class ServiceUnavailable(ApiError):
    """503: a dependency this request needs is unreachable right now."""

    family = Family.UNAVAILABLE
    code = "service_unavailable"
    message = "The service is temporarily unavailable, try again shortly"


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """Build ``{"error": {"code", "message", "details"}}``."""
    return {"error": {"code": code, "message": message, "details": details}}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Documented error responses for a route's ``responses=`` argument.

    Example: ``@router.post("/v1/matches", responses=error_responses(404, 409))``.
    """
    return {status: {"model": ErrorResponse, "description": _phrase(status)} for status in statuses}


def internal_error_response(headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The 500 response for an unexpected exception: no detail, no stack trace."""
    return JSONResponse(
        error_body("internal_error", INTERNAL_ERROR_MESSAGE),
        status_code=HTTPStatus.INTERNAL_SERVER_ERROR,
        headers=dict(headers or {}),
    )


def log_unhandled_error(exc: BaseException, *, method: str, path: str) -> None:
    """Log an exception no handler dealt with, traceback included (logs only)."""
    log.error(
        "unhandled_error",
        method=method,
        path=path,
        error_type=type(exc).__name__,
        exc_info=exc,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _code_for_status(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "http_error"
    return phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


async def _handle_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        status_code=status_of(exc),
        headers=exc.headers,
    )


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only where, what and which rule: the rejected input may be a password.
    details = [
        {
            "loc": list(error.get("loc", ())),
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    return JSONResponse(
        error_body("validation_error", "The request is not valid", details),
        status_code=HTTPStatus.UNPROCESSABLE_ENTITY,
    )


async def _handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else _phrase(status)
    details = None if isinstance(exc.detail, str) else exc.detail
    headers = dict(exc.headers or {})
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        methods = allowed_methods(request)
        if methods is not None:
            headers["Allow"] = ", ".join(methods)
    return JSONResponse(
        error_body(_code_for_status(status), message, details),
        status_code=status,
        headers=headers,
    )


def allowed_methods(request: Request) -> list[str] | None:
    """The methods the app's documented routes serve at the request's path.

    Starlette's 405 names only the methods of the first route whose path matched;
    a path served by two routes (``GET`` and ``POST /v1/matches``) needs both, and
    clients compare ``Allow`` with the document. The routes' own patterns decide
    (path convertors included, so ``.../sessions/{id}/notes`` is not taken for
    ``.../sessions/{id}/{action:session_action}``). ``None`` for a path no documented
    route serves (the interactive docs), which keeps Starlette's own header.
    """
    methods = []
    for method in _DOCUMENTED_METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.router.routes:
            if getattr(route, "include_in_schema", True) is False:
                continue
            if route.matches(scope)[0] is Match.FULL:
                methods.append(method)
                break
    return methods or None


def unexpected_error_response(exc: BaseException, *, method: str, path: str) -> JSONResponse:
    """The response to an exception no handler expected.

    A MongoDB write conflict that outlasted the route's retries (or hit a route
    without them) is a 503 with ``Retry-After``: nothing was written and trying
    again will do. Anything else is logged with its traceback and answered with
    the generic 500.
    """
    if is_transient(exc):
        log.warning("write_conflict", method=method, path=path)
        return JSONResponse(
            error_body("write_conflict", "Someone else changed this at the same moment, try again"),
            status_code=HTTPStatus.SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    log_unhandled_error(exc, method=method, path=path)
    return internal_error_response()


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(exc, method=request.method, path=request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error ``app`` can produce in the shared error shape.

    Covers every :class:`~mentor_shared.errors.DomainError` (the domains' and
    :class:`ApiError`, by family: :data:`FAMILY_STATUS`), request validation (422, ``validation_error``, with
    ``details`` listing ``loc``/``msg``/``type`` but never the input), Starlette's
    HTTP errors (404, 405...) and, as a last resort, any other exception (500,
    ``internal_error``, logged with its traceback, never returned).
    """
    app.add_exception_handler(DomainError, _handle_domain_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    app.add_exception_handler(Exception, _handle_unexpected)
