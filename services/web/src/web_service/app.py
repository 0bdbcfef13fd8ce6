"""The web app: GOV.UK Frontend pages served by FastAPI, over the services' HTTP APIs."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from mentor_shared.errors import NotFound
from mentor_shared.web import client_ip
from mentor_shared.web.app import create_app
from mentor_shared.web.errors import log_unhandled_error
from mentor_shared.web.health import CheckResult, health_router
from web_service.backend import (
    ApiError,
    Backend,
    ServiceUnavailable,
    SignedOut,
    set_browser_address,
)
from web_service.dates import wait_text
from web_service.deps import NotAdmin, NotSignedIn
from web_service.forms import CsrfRefused
from web_service.pages import (
    account,
    admin,
    checkins,
    conversations,
    legal,
    matches,
    mentoring_sessions,
    message_reports,
    people,
    plan,
    profile,
    saved,
    settings,
)
from web_service.redirects import sign_in_redirect
from web_service.rendering import error_page, not_found
from web_service.sessions import SessionMiddleware, SessionStore, session_of
from web_service.settings import WebSettings

log = structlog.get_logger(__name__)

STATIC_PREFIXES = ("/assets/", "/govuk/", "/static/")
FORM_ALLOWANCE_BYTES = 64 * 1024


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
            legal.router,
            profile.router,
            people.router,
            saved.router,
            matches.router,
            # Before mentoring_sessions: its POST .../sessions/{session_id}/{action}
            # would otherwise take .../sessions/{session_id}/notes.
            plan.router,
            checkins.router,
            conversations.router,
            mentoring_sessions.router,
            message_reports.router,
            settings.router,
            admin.router,
        ],
        description="Server-rendered pages; not a JSON API.",
        # The uploads' own checks (size, count) say more than a 413 page: let their
        # bodies through, with room for the multipart framing and the other fields.
        body_limits={
            "/profile/import-linkedin": profile.LINKEDIN_MAX_BYTES + FORM_ALLOWANCE_BYTES,
            "/admin/import": admin.MAX_CSV_BYTES + FORM_ALLOWANCE_BYTES,
        },
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
    app.add_middleware(TooLargePage)
    app.add_middleware(
        SessionMiddleware, store=store, secure=config.cookie_secure, skip_prefixes=STATIC_PREFIXES
    )
    app.add_middleware(BrowserAddressMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=config.cookie_secure)
    _install_error_pages(app)
    _keep_health_details_internal(app)
    return app


def _keep_health_details_internal(app: FastAPI) -> None:
    """The public port answers ``/readyz`` with ready or not only, and has no ``/metrics``.

    The checks' details and the metrics describe the system to whoever asks; they are
    served on the internal port instead (:func:`create_internal_app`).
    """
    public = APIRouter()

    @public.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        ready, _ = await request.app.state.readiness.run()
        return JSONResponse(
            {"status": "ready" if ready else "not_ready"}, status_code=200 if ready else 503
        )

    @public.get("/metrics", include_in_schema=False)
    async def no_metrics() -> Response:
        raise StarletteHTTPException(404)

    # Ahead of the shared health routes, which they replace on this port.
    app.router.routes[0:0] = public.routes


def create_internal_app(public: FastAPI) -> FastAPI:
    """The operators' app for ``WEB_INTERNAL_PORT``: detailed ``/readyz``, ``/metrics``.

    It runs the public app's readiness checks (registered by the public app's lifespan)
    and reads the process's Prometheus registry; it has no pages and no lifespan.
    """
    internal = FastAPI(title="Mentor Match web (internal)", openapi_url=None, docs_url=None)
    internal.include_router(health_router(public.state.readiness))
    return internal


class TooLargePage:
    """The shared body limit's 413 (a JSON error for API clients) as a page for people.

    Inside the session middleware, so the page shows who is signed in.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = False

        async def send_page_instead(message: Any) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 413:
                headers = dict(message.get("headers", []))
                replaced = headers.get(b"content-type", b"").startswith(b"application/json")
            if not replaced:
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                await too_large(Request(scope))(scope, receive, send)

        await self.app(scope, receive, send_page_instead)


class BrowserAddressMiddleware:
    """Remembers the browser's address for the calls to the services (``X-Forwarded-For``)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            set_browser_address(client_ip(Request(scope)))
        await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Headers every page gets: no framing, no sniffing, a strict CSP, no referrer leaks."""

    CSP = (
        "default-src 'self'; script-src 'self' 'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='; "
        "img-src 'self' data:; style-src 'self'; font-src 'self'; connect-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )

    # Two years, as hstspreload.org recommends; sent only when the site is served over
    # TLS, which the session cookie's Secure flag (COOKIE_SECURE) says.
    HSTS = b"max-age=63072000; includeSubDomains"

    def __init__(self, app: Any, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

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
                if self.hsts:
                    headers.append((b"strict-transport-security", self.HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def too_many_attempts(request: Request, retry_after_s: float | None) -> Response:
    """A service's rate limit (429): what happened and how long to wait."""
    response = error_page(
        request,
        429,
        "You have tried this too many times",
        "To keep accounts safe, Mentor Match limits how often this can be done. "
        f"Wait {wait_text(retry_after_s)} and try again.",
    )
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(math.ceil(retry_after_s))
    return response


def too_large(request: Request) -> Response:
    """A body over a service's (or this app's) size limit (413)."""
    return error_page(
        request,
        413,
        "What you sent is too large",
        "The file or text you sent is bigger than Mentor Match accepts. "
        "Go back and send a smaller file or a shorter text.",
    )


# The error pages that say the same whatever the request: (status, title, message).
FIXED_PAGES: dict[type, tuple[int, str, str]] = {
    CsrfRefused: (
        403,
        "Sorry, that did not work",
        "The form had expired or did not come from this site. "
        "Go back, reload the page and try again.",
    ),
    NotAdmin: (
        403,
        "You cannot see this page",
        "This page is for the Mentor Match administrators.",
    ),
    ServiceUnavailable: (
        503,
        "Sorry, there is a problem with the service",
        "Part of Mentor Match is not answering. Try again later.",
    ),
}


def _install_error_pages(app: FastAPI) -> None:
    async def signed_out(request: Request, exc: Exception) -> Response:
        session = session_of(request)
        if isinstance(exc, SignedOut):
            session.sign_out()
            session.add_flash("You have been signed out", "Sign in again to continue.", "info")
        path = exc.next_url if isinstance(exc, NotSignedIn) else request.url.path
        return sign_in_redirect(path if request.method == "GET" else "/")

    async def fixed_page(request: Request, exc: Exception) -> Response:
        if isinstance(exc, CsrfRefused):
            log.info("csrf_refused", path=request.url.path)
        kind = next(kind for kind in type(exc).__mro__ if kind in FIXED_PAGES)
        return error_page(request, *FIXED_PAGES[kind])

    async def missing(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotFound)
        return not_found(request, exc.message)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        if exc.status == 404:
            return not_found(
                request, "What you were looking for does not exist or is not yours to see."
            )
        log.info("backend_refused", status=exc.status, code=exc.code)
        if exc.status == 429:
            return too_many_attempts(request, exc.retry_after_s)
        if exc.status == 413:
            return too_large(request)
        return error_page(
            request,
            exc.status if exc.status in (403, 409, 422, 429) else 400,
            "Sorry, that did not work",
            exc.message or "Go back and try again.",
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return not_found(request)
        if exc.status_code == 413:
            return too_large(request)
        return error_page(request, exc.status_code, "Sorry, that did not work", str(exc.detail))

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
    for kind in FIXED_PAGES:
        app.add_exception_handler(kind, fixed_page)
    app.add_exception_handler(NotFound, missing)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
