"""The profile service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mentor_shared.auth import JwksKeySet
from mentor_shared.web.app import create_app
from mentor_shared.web.errors import error_body
from profile_service.api.routes import accounts, admin, auth, profiles
from profile_service.bootstrap import bootstrap
from profile_service.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from profile_service.domain.lockout import SignInLocked
from profile_service.settings import ProfileSettings

VERSION = "0.1.0"


def _status_of(error: DomainError) -> int:
    families: list[tuple[type[DomainError], int]] = [
        (SignInLocked, 429),
        (InvalidInput, 422),
        (Unauthenticated, 401),
        (Forbidden, 403),
        (NotFound, 404),
        (Conflict, 409),
    ]
    return next((status for family, status in families if isinstance(error, family)), 400)


async def _handle_domain_error(request: Request, exc: Exception) -> JSONResponse:
    """Render a domain error in the shared error shape with its family's status."""
    assert isinstance(exc, DomainError)
    status = _status_of(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, SignInLocked):
        headers["Retry-After"] = str(exc.retry_after_s)
    elif status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), status_code=status, headers=headers
    )


def create_profile_app(settings: ProfileSettings | None = None) -> FastAPI:
    """Build the profile service app; the lifespan opens its store and starts its bus."""
    settings = settings or ProfileSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = await bootstrap(settings)
        app.state.profile = context
        app.state.key_set = JwksKeySet.from_jwks(
            context.issuer.jwks(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
        context.runtime.install(app)
        await context.runtime.start()
        await context.invitations.start()
        try:
            yield
        finally:
            await context.invitations.stop()
            await context.runtime.stop()

    app = create_app(
        settings,
        title="Mentor Match profile service",
        version=VERSION,
        lifespan=lifespan,
        routers=[auth.router, accounts.router, profiles.router, admin.router],
        description="Accounts, sign-in, profiles, contact details and the allow-list.",
        body_limits={
            "/v1/admin/import": settings.import_max_body_bytes,
            "/v1/profiles/me/import/linkedin": settings.linkedin_max_body_bytes,
        },
    )
    app.add_exception_handler(DomainError, _handle_domain_error)
    return app
