"""The profile service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mentor_shared.auth import JwksKeySet
from mentor_shared.web.app import create_app
from mentor_shared.web.serving import serving
from profile_service.api.routes import accounts, admin, auth, profiles
from profile_service.bootstrap import bootstrap
from profile_service.settings import ProfileSettings

VERSION = "0.1.0"


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
        async with serving(app, context.runtime, context):
            yield

    return create_app(
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
