"""The FastAPI application factory and server runner every service uses.

A service's ``api/app.py`` supplies its lifespan and routers; everything else an
HTTP service needs (error shape, request ids and metrics, health endpoints,
OpenAPI at ``/openapi.json`` listing the errors every route can answer) is wired
here, identically for all four.

Threads: FAISS and torch size their OpenMP pools when they load, from
``OMP_NUM_THREADS``. Under a web server one thread per search serves about 2.4x
more searches per second than the default (MEASUREMENTS.md), and calling
``omp_set_num_threads`` after import does not reach the worker threads, so the
variable must be in the environment before the process imports them. The
project's runner (``make run``) and the container images set
``OMP_NUM_THREADS=1``; :func:`serve` logs the value it finds so a missing
setting shows up in the start-up line.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import structlog
import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from mentor_shared.heap import settle_long_lived
from mentor_shared.logs import configure_logging
from mentor_shared.settings import ServiceSettings
from mentor_shared.tracing import configure_tracing, instrument_app, shutdown_tracing
from mentor_shared.web.errors import install_error_handlers
from mentor_shared.web.health import ReadinessRegistry, health_router
from mentor_shared.web.limits import BodyLimitMiddleware
from mentor_shared.web.middleware import RequestContextMiddleware
from mentor_shared.web.openapi import install_openapi

log = structlog.get_logger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_app(
    settings: ServiceSettings,
    *,
    title: str,
    version: str,
    lifespan: Lifespan | None,
    routers: Sequence[APIRouter],
    description: str = "",
    body_limits: Mapping[str, int] | None = None,
) -> FastAPI:
    """Build a service's FastAPI app with the shared mechanism wired in.

    The app gets ``app.state.settings`` and an empty ``app.state.readiness``
    (:class:`ReadinessRegistry`) that the lifespan fills with its checks; the
    lifespan also sets ``app.state.key_set`` for routes that need a caller.

    Args:
        settings: The service's settings.
        title: OpenAPI title.
        version: The service's version, shown in OpenAPI.
        lifespan: Starts and stops the service's clients (store, bus, model).
        routers: The service's routers, included in order.
        description: OpenAPI description (Markdown).
        body_limits: Larger body limits for route prefixes (uploads); every other
            body is limited to ``settings.max_body_bytes``.
    """
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=_settled(lifespan) if lifespan is not None else None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.readiness = ReadinessRegistry()
    install_error_handlers(app)
    # Added before the request context, which therefore wraps it: a 413 gets ids and metrics.
    app.add_middleware(BodyLimitMiddleware, default=settings.max_body_bytes, per_prefix=body_limits)
    app.add_middleware(RequestContextMiddleware)
    origins = settings.cors_origin_list()
    if origins:
        # Outermost, so a preflight is answered before any limit or route. Bearer
        # tokens, not cookies: no credentials mode, so no origin can ride a session.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials=False,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Correlation-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "Location"],
            max_age=600,
        )
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    install_openapi(app)
    # Tracing is off unless the OTEL_* variables turn it on (docs/operations.md).
    configure_tracing(settings.service_name)
    instrument_app(app)
    return app


def _settled(lifespan: Lifespan) -> Lifespan:
    """``lifespan``, with the objects made by start-up settled once it has started
    (:mod:`mentor_shared.heap`): the framework's and the service's long-lived objects are
    not walked again by the collector's full passes while requests are answered."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[Any]:
        async with lifespan(app) as state:
            settle_long_lived()
            yield state

    return run


def build_server(app: FastAPI, settings: ServiceSettings) -> uvicorn.Server:
    """A uvicorn server for ``app`` on ``settings.host``:``settings.port``.

    uvloop and httptools: about twice the requests per second of the asyncio
    loop with h11 (MEASUREMENTS.md). ``log_config=None`` leaves logging to
    :func:`mentor_shared.logs.configure_logging`; uvicorn's access log is off
    because it prints query strings, and the request middleware logs each
    request instead.
    """
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    """Configure logging from ``settings`` and run ``app`` until interrupted.

    ``OMP_NUM_THREADS`` must already be set by whoever starts the process (see
    the module docstring); it is too late here once FAISS or torch is imported.
    """
    configure_logging(settings.service_name, json=settings.log_as_json, level=settings.log_level)
    log.info(
        "service_starting",
        host=settings.host,
        port=settings.port,
        environment=settings.environment,
        omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
    )
    try:
        build_server(app, settings).run()
    finally:
        shutdown_tracing()  # sends the spans still buffered
