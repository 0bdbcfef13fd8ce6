"""``python -m web_service``: serve the web frontend, configured by environment variables."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import structlog
import uvicorn

from mentor_shared.logs import configure_logging
from mentor_shared.tracing import shutdown_tracing
from mentor_shared.web.app import build_server, serve
from web_service.app import create_internal_app, create_web_app
from web_service.settings import WebSettings

log = structlog.get_logger(__name__)


class _SharedSignalsServer(uvicorn.Server):
    """A server that leaves SIGINT and SIGTERM to :func:`_serve_both`, which stops both."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_both(public: uvicorn.Server, internal: uvicorn.Server) -> None:
    def stop() -> None:
        public.should_exit = internal.should_exit = True

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop)
    internal_run = asyncio.create_task(internal.serve())
    try:
        await public.serve()
    finally:
        internal.should_exit = True
        await internal_run


def main() -> None:
    """Serve the web app on ``WEB_PORT`` (8000), and the operators' endpoints if asked.

    With ``WEB_INTERNAL_PORT`` set, the detailed ``/readyz`` and ``/metrics`` are
    served on ``WEB_INTERNAL_HOST``:``WEB_INTERNAL_PORT`` by the same process.
    """
    settings = WebSettings()
    app = create_web_app(settings)
    if settings.internal_port is None:
        serve(app, settings)
        return
    configure_logging(settings.service_name, json=settings.log_as_json, level=settings.log_level)
    log.info(
        "service_starting",
        host=settings.host,
        port=settings.port,
        internal_host=settings.internal_host,
        internal_port=settings.internal_port,
        environment=settings.environment,
    )
    internal_settings = settings.model_copy(
        update={"host": settings.internal_host, "port": settings.internal_port}
    )
    public = _SharedSignalsServer(build_server(app, settings).config)
    internal = _SharedSignalsServer(
        build_server(create_internal_app(app), internal_settings).config
    )
    try:
        with asyncio.Runner(loop_factory=public.config.get_loop_factory()) as runner:
            runner.run(_serve_both(public, internal))
    finally:
        shutdown_tracing()  # sends the spans still buffered


if __name__ == "__main__":
    main()
