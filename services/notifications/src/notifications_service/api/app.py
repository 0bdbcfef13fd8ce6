"""The notifications service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mentor_shared.web.app import create_app
from mentor_shared.web.serving import serving
from notifications_service.api.routes import (
    checkins,
    me,
    notifications,
    preferences,
    subscriptions,
)
from notifications_service.bootstrap import bootstrap
from notifications_service.settings import NotificationsSettings

VERSION = "0.1.0"


def create_notifications_app(settings: NotificationsSettings | None = None) -> FastAPI:
    """Build the app; the lifespan opens the store and starts consumer and worker."""
    settings = settings or NotificationsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = await bootstrap(settings)
        app.state.notifications = context
        async with serving(app, context.runtime, context):
            app.state.readiness.add(context.check_worker)
            yield

    return create_app(
        settings,
        title="Mentor Match notifications",
        version=VERSION,
        lifespan=lifespan,
        routers=[
            notifications.router,
            preferences.router,
            subscriptions.router,
            me.router,
            checkins.router,
        ],
        description="In-app notifications, email, preferences and department webhooks.",
    )
