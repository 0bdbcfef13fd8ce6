"""The web app: GOV.UK Frontend pages served by FastAPI, over the services' HTTP APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from mentor_shared.web.app import create_app
from mentor_shared.web.errors import log_unhandled_error
from mentor_shared.web.health import CheckResult
from web_service.backend import ApiError, Backend, ServiceUnavailable, SignedOut
from web_service.pages import account, admin, conversations, matches, people, profile, settings
from web_service.sessions import SessionMiddleware, SessionStore
from web_service.settings import WebSettings
from web_service.ui import (
    CsrfRefused,
    NotAdmin,
    NotSignedIn,
    render,
    session_of,
    sign_in_redirect,
)

log = structlog.get_logger(__name__)

STATIC_PREFIXES = ("/assets/", "/govuk/", "/static/")


def create_web_app(app_settings: WebSettings | None = None) -> FastAPI:
    """Build the web app; the lifespan opens the session store and the HTTP client."""
    config = app_settings or WebSettings()
    store = SessionStore(
        config.data_dir / "web-sessions.sqlite3",
        idle_s=config.session_idle_s,
        max_s=config.session_max_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await store.open()
        purged = await store.purge_expired()
        timeout = httpx.Timeout(config.backend_timeout_s, connect=config.backend_connect_timeout_s)
        async with httpx.AsyncClient(timeout=timeout) as client:
            app.state.backend = Backend(config, client)

            async def session_store_check() -> CheckResult:
                async with store.conn.execute("SELECT 1") as cursor:
                    await cursor.fetchone()
                return CheckResult("session_store", True)

            async def assets_check() -> CheckResult:
                css = config.govuk_frontend_dir / "govuk-frontend.min.css"
                return CheckResult("govuk_frontend_assets", css.exists(), {"path": str(css)})

            app.state.readiness.add(session_store_check)
            app.state.readiness.add(assets_check)
            log.info("web_started", sessions_purged=purged)
            yield
            app.state.readiness.clear()
        await store.close()

    app = create_app(
        config,
        title="Mentor Match web",
        version="0.1.0",
        lifespan=lifespan,
        routers=[
            account.router,
            profile.router,
            people.router,
            matches.router,
            conversations.router,
            settings.router,
            admin.router,
        ],
        description="Server-rendered pages; not a JSON API.",
    )
    app.state.store = store
    assets = config.govuk_frontend_dir
    if assets.exists():
        # The npm package's built files, served as they are: never copied into git.
        app.mount("/assets", StaticFiles(directory=assets / "assets"), name="assets")
        app.mount("/govuk", StaticFiles(directory=assets), name="govuk")
    else:
        log.warning("govuk_frontend_missing", path=str(assets))
    app.mount(
        "/static",
        StaticFiles(packages=[("web_service", "static")]),
        name="static",
    )
    app.add_middleware(
        SessionMiddleware, store=store, secure=config.cookie_secure, skip_prefixes=STATIC_PREFIXES
    )
    app.add_middleware(SecurityHeadersMiddleware)
    _install_error_pages(app)
    return app


class SecurityHeadersMiddleware:
    """Headers every page gets: no framing, no sniffing, a strict CSP, no referrer leaks."""

    CSP = (
        "default-src 'self'; script-src 'self' 'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='; "
        "img-src 'self' data:; style-src 'self'; font-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                    # The verify, reset and claim pages carry tokens in their URL.
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", self.CSP.encode()),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _install_error_pages(app: FastAPI) -> None:
    async def signed_out(request: Request, exc: Exception) -> Response:
        session = session_of(request)
        if isinstance(exc, SignedOut):
            session.sign_out()
            session.add_flash("You have been signed out", "Sign in again to continue.", "info")
        path = exc.next_url if isinstance(exc, NotSignedIn) else request.url.path
        return sign_in_redirect(path if request.method == "GET" else "/")

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        log.info("csrf_refused", path=request.url.path)
        return render(
            request,
            "error.html",
            status_code=403,
            title="Sorry, that did not work",
            message="The form had expired or did not come from this site. "
            "Go back, reload the page and try again.",
        )

    async def not_admin(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=403,
            title="You cannot see this page",
            message="This page is for the Mentor Match administrators.",
        )

    async def unavailable(request: Request, exc: Exception) -> Response:
        return render(
            request,
            "error.html",
            status_code=503,
            title="Sorry, there is a problem with the service",
            message="Part of Mentor Match is not answering. Try again later.",
        )

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if exc.status == 404:
            return render(
                request,
                "error.html",
                status_code=404,
                title="Page not found",
                message="What you were looking for does not exist or is not yours to see.",
            )
        log.info("backend_refused", status=exc.status, code=exc.code)
        return render(
            request,
            "error.html",
            status_code=exc.status if exc.status in (403, 409, 422, 429) else 400,
            title="Sorry, that did not work",
            message=exc.message or "Go back and try again.",
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return render(
                request,
                "error.html",
                status_code=404,
                title="Page not found",
                message="If you typed the web address, check it is correct.",
            )
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            title="Sorry, that did not work",
            message=str(exc.detail),
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log_unhandled_error(exc, method=request.method, path=request.url.path)
        return HTMLResponse(
            "<!DOCTYPE html><html lang='en'><head><title>Sorry, there is a problem with the "
            "service - Mentor Match</title></head><body><main><h1>Sorry, there is a problem "
            "with the service</h1><p>Try again later.</p></main></body></html>",
            status_code=500,
        )

    app.add_exception_handler(SignedOut, signed_out)
    app.add_exception_handler(NotSignedIn, signed_out)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(NotAdmin, not_admin)
    app.add_exception_handler(ServiceUnavailable, unavailable)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
