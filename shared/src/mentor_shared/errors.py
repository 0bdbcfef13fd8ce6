"""The one hierarchy of errors raised on purpose, in every service.

A service's domain raises subclasses of :class:`DomainError`; each names its
``family`` (what kind of refusal it is) and a stable snake_case ``code``. The
HTTP layer turns a family into a status in one place
(:func:`mentor_shared.web.errors.install_error_handlers`), so no route or
service maps errors by hand. This module imports no framework: domains use it.

| family | HTTP |
|---|---|
| ``Family.BAD_REQUEST`` | 400 |
| ``Family.INVALID`` | 422 |
| ``Family.UNAUTHENTICATED`` | 401 (``WWW-Authenticate: Bearer``) |
| ``Family.FORBIDDEN`` | 403 |
| ``Family.NOT_FOUND`` | 404 |
| ``Family.CONFLICT`` | 409 |
| ``Family.GONE`` | 410 |
| ``Family.TOO_LARGE`` | 413 |
| ``Family.RATE_LIMITED`` | 429 (``Retry-After``) |
| ``Family.UNAVAILABLE`` | 503 |
| ``Family.INTERNAL`` | 500 |
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class Family(StrEnum):
    """What kind of refusal an error is; the HTTP layer gives each one status."""

    BAD_REQUEST = "bad_request"
    INVALID = "invalid"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    GONE = "gone"
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"


class DomainError(Exception):
    """Base of every error a service raises on purpose.

    Subclasses set ``family``, ``code`` and a default ``message``; a raise may
    override the message, the code and add ``details`` (structured, shown to
    the caller: never personal data) and ``headers``.
    """

    family: Family = Family.INTERNAL
    code: str = "error"
    message: str = "The request could not be completed"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message if message is not None else type(self).message
        self.code = code if code is not None else type(self).code
        self.details = details
        self.headers: dict[str, str] = dict(headers or {})
        if self.family is Family.UNAUTHENTICATED:
            self.headers.setdefault("WWW-Authenticate", "Bearer")
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The error body's inner object: ``{"code", "message", "details"}``."""
        return {"code": self.code, "message": self.message, "details": self.details}


class BadRequest(DomainError):
    """The request cannot be understood as sent (400)."""

    family = Family.BAD_REQUEST
    code = "bad_request"
    message = "The request is not valid"


class InvalidInput(DomainError):
    """Well formed, but something the caller sent breaks a rule (422)."""

    family = Family.INVALID
    code = "invalid_input"
    message = "The request could not be processed"


class Unauthenticated(DomainError):
    """Credentials or tokens are missing, wrong or spent (401)."""

    family = Family.UNAUTHENTICATED
    code = "unauthenticated"
    message = "Sign in to continue"


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""

    family = Family.FORBIDDEN
    code = "forbidden"
    message = "You do not have permission to do this"


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know it does (404)."""

    family = Family.NOT_FOUND
    code = "not_found"
    message = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state (409)."""

    family = Family.CONFLICT
    code = "conflict"
    message = "The request conflicts with the current state"


class Gone(DomainError):
    """It existed, but is no longer usable and will not be again (410)."""

    family = Family.GONE
    code = "gone"
    message = "This is no longer available"


class TooLarge(DomainError):
    """The request's body is larger than this route takes (413)."""

    family = Family.TOO_LARGE
    code = "payload_too_large"
    message = "The request is too large"


class RateLimited(DomainError):
    """Too many attempts; ``retry_after_s`` says when to try again (429)."""

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
            message, code=code, details=details, headers={"Retry-After": str(self.retry_after_s)}
        )


class Unavailable(DomainError):
    """A dependency this request needs is unreachable right now (503)."""

    family = Family.UNAVAILABLE
    code = "service_unavailable"
    message = "The service is temporarily unavailable, try again shortly"
