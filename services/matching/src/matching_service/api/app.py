"""The matching service's FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matching_service.api.routes import (
    admin,
    cards,
    index,
    matches,
    me,
    shortlist,
    skills,
    suggestions,
)
from matching_service.bootstrap import bootstrap
from matching_service.metrics import expose_match_funnel, refresh_index_metrics
from matching_service.service.ports import Embedder
from matching_service.settings import MatchingSettings
from mentor_shared.web.app import create_app
from mentor_shared.web.health import CheckResult
from mentor_shared.web.serving import serving

VERSION = "0.1.0"


def create_matching_app(
    settings: MatchingSettings | None = None, *, embedder: Embedder | None = None
) -> FastAPI:
    """Build the app; the store, index, relay, consumer and loops start with its lifespan.

    A test may set ``app.state.key_set`` before start-up to verify tokens with its own
    keys; otherwise keys come from the profile service's JWKS. ``embedder`` overrides
    the one the settings name (benchmarks inject one to share it between runs).
    """
    settings = settings or MatchingSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ctx = await bootstrap(settings, embedder=embedder)
        app.state.matching = ctx

        async def index_loaded() -> CheckResult:
            totals = ctx.index.matcher.status()
            return CheckResult("index_loaded", ctx.index.loaded, {"profiles": totals.profiles})

        async def index_metrics() -> None:
            refresh_index_metrics(
                ctx.index.matcher.status(),
                pending=ctx.consumer.progress.lag,
                last_event=ctx.index.last_event,
                waiting_since=ctx.consumer.progress.started_at,
            )

        async with serving(app, ctx.runtime, ctx):
            app.state.readiness.add(index_loaded)
            app.state.metrics_refreshers.append(index_metrics)
            expose_match_funnel()
            yield

    return create_app(
        settings,
        title="Mentor Match matching",
        version=VERSION,
        lifespan=lifespan,
        routers=[
            suggestions.router,
            matches.router,
            shortlist.router,
            cards.router,
            index.router,
            admin.router,
            me.router,
            skills.router,
        ],
        description="Explainable suggestions, search, match requests and cohort matching.",
    )
