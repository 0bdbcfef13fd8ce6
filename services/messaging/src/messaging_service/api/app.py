"""The messaging service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mentor_shared.web.app import create_app
from mentor_shared.web.serving import serving
from messaging_service.api.routes import admin, conversations, export, plan, sessions
from messaging_service.bootstrap import bootstrap
from messaging_service.settings import MessagingSettings

VERSION = "0.1.0"


def create_messaging_app(settings: MessagingSettings | None = None) -> FastAPI:
    """Build the app; the store, relay and consumers start with its lifespan.

    A test may set ``app.state.key_set`` before start-up to verify tokens with
    its own keys; otherwise keys come from the profile service's JWKS.
    """
    settings = settings or MessagingSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await bootstrap(settings)
        app.state.messaging = ctx
        async with serving(app, ctx.runtime):
            yield

    return create_app(
        settings,
        title="Mentor Match messaging",
        version=VERSION,
        lifespan=lifespan,
        routers=[
            conversations.router,
            sessions.router,
            plan.router,
            export.router,
            admin.router,
        ],
        description="Conversations between matched people, live streams and sessions.",
    )
