"""The services' public HTTP APIs as the web app calls them, with the session's tokens.

The web app is a backend-for-frontend: pages call :class:`Backend`, which adds the
signed-in person's access token, refreshes it with the refresh token shortly
before it expires (or once after a 401), and turns error bodies
``{"error": {"code", "message", "details"}}`` into :class:`ApiError`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from weakref import WeakValueDictionary

import httpx
import jwt
import structlog

from mentor_shared.context import CORRELATION_HEADER, current_correlation_id
from web_service.sessions import WebSession
from web_service.settings import WebSettings

log = structlog.get_logger(__name__)

Service = Literal["profile", "matching", "messaging", "notifications"]
Answer = TypeVar("Answer")

# Refresh this long before the access token expires, so a page's several calls
# do not straddle the expiry.
REFRESH_MARGIN_S = 30.0

_browser_address: ContextVar[str | None] = ContextVar("browser_address", default=None)


def set_browser_address(address: str | None) -> None:
    """The address of the browser whose request is being served (for ``X-Forwarded-For``)."""
    _browser_address.set(address)


@dataclass
class ApiError(Exception):
    """A service answered with an error status."""

    status: int
    code: str
    message: str
    details: Any = None
    retry_after_s: float | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}"


async def attempt(call: Awaitable[Answer], *refusals: int) -> Answer | ApiError:
    """The call's answer, or the service's refusal when its status is one of ``refusals``.

    Pages handle the refusals they expect (a form's 422, a 409 conflict) by showing
    them on the page; any other error propagates to the error pages.
    """
    try:
        return await call
    except ApiError as error:
        if error.status not in refusals:
            raise
        return error


def item_with_id(items: Iterable[Any], wanted: str) -> dict[str, Any] | None:
    """The entry of a service's list whose ``id`` is ``wanted``, or None."""
    for item in items:
        if isinstance(item, dict) and item.get("id") == wanted:
            return item
    return None


class SignedOut(Exception):
    """The session holds no usable tokens: the person must sign in (again)."""


class ServiceUnavailable(Exception):
    """A service could not be reached or answered with a server error."""

    def __init__(self, service: str) -> None:
        super().__init__(service)
        self.service = service


def token_claims(access_token: str) -> dict[str, Any]:
    """The claims of an access token received straight from the profile service.

    The signature is not checked here: the token came from the issuer over the
    back channel in answer to our own request, and every service that receives
    it verifies it. The web app only reads who it is for and their roles.
    """
    claims: dict[str, Any] = jwt.decode(access_token, options={"verify_signature": False})
    return claims


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _error_from(response: httpx.Response) -> ApiError:
    retry_after = _retry_after(response)
    try:
        body = response.json()
        error = body["error"]
        return ApiError(
            response.status_code,
            str(error.get("code", "error")),
            str(error.get("message", "")),
            error.get("details"),
            retry_after,
        )
    except (ValueError, KeyError, TypeError):
        return ApiError(response.status_code, "error", response.reason_phrase, None, retry_after)


class Backend:
    """Calls to the four services on behalf of a session.

    Args:
        settings: Service URLs and time limits.
        client: The shared HTTP client (connection pooling).
    """

    def __init__(self, settings: WebSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client
        # One refresh at a time per session: two concurrent refreshes with the same
        # token would look like reuse to the profile service and revoke the family.
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def url(self, service: Service, path: str) -> str:
        """Absolute URL of ``path`` on ``service``."""
        return f"{self.settings.service_url(service)}{path}"

    def _headers(self, token: str | None) -> dict[str, str]:
        headers = {}
        correlation = current_correlation_id()
        if correlation:
            headers[CORRELATION_HEADER] = correlation
        if token:
            headers["Authorization"] = f"Bearer {token}"
        browser = _browser_address.get()
        if browser:
            # The services' per-address limits must count the browser, not this app;
            # they trust the header from this app's address only (TRUSTED_PROXIES).
            headers["X-Forwarded-For"] = browser
        return headers

    async def call(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        session: WebSession | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One request; with ``session`` it carries (and if needed refreshes) the token.

        Raises:
            ApiError: The service answered 4xx.
            SignedOut: ``session`` holds no tokens, or they can no longer be refreshed.
            ServiceUnavailable: Unreachable, timed out, or 5xx.
        """
        token = await self.access_token(session) if session is not None else None
        response = await self._send(service, method, path, token, **kwargs)
        if response.status_code == 401 and session is not None:
            # Expired early, or the signing key rotated: one refresh, one retry.
            token = await self.access_token(session, force=True)
            response = await self._send(service, method, path, token, **kwargs)
            if response.status_code == 401:
                self._forget(session)
                raise SignedOut
        if response.status_code >= 500:
            log.warning("backend_error", service=service, status=response.status_code)
            raise ServiceUnavailable(service)
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    async def json(
        self,
        service: Service,
        method: str,
        path: str,
        *,
        session: WebSession | None = None,
        **kwargs: Any,
    ) -> Any:
        """:meth:`call` and decode the JSON body (None for 204)."""
        response = await self.call(service, method, path, session=session, **kwargs)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def matches(self, session: WebSession) -> list[dict[str, Any]]:
        """The session's requests and matches, newest first (``GET /v1/matches``)."""
        found = await self.json("matching", "GET", "/v1/matches", session=session)
        items = found if isinstance(found, list) else found.get("items", [])
        return [item for item in items if isinstance(item, dict)]

    async def display_names(self, session: WebSession, ids: Iterable[str]) -> dict[str, str]:
        """Names to show for profile ids, looked up concurrently.

        The profile service decides what the session may see: an anonymised person comes
        back as their initials, an erased one as "Deleted account".
        """

        async def one(profile_id: str) -> tuple[str, str]:
            try:
                found = await self.json(
                    "profile", "GET", f"/v1/profiles/{profile_id}", session=session
                )
            except ApiError:
                return profile_id, "Deleted account"
            return profile_id, str(found.get("display_name") or found.get("initials") or "Someone")

        return dict(await asyncio.gather(*(one(i) for i in set(ids))))

    async def _send(
        self, service: Service, method: str, path: str, token: str | None, **kwargs: Any
    ) -> httpx.Response:
        headers = {**self._headers(token), **kwargs.pop("headers", {})}
        try:
            return await self.client.request(
                method, self.url(service, path), headers=headers, **kwargs
            )
        except httpx.HTTPError as error:
            log.warning("backend_unreachable", service=service, error=type(error).__name__)
            raise ServiceUnavailable(service) from error

    @asynccontextmanager
    async def stream(
        self, service: Service, path: str, *, session: WebSession, headers: dict[str, str]
    ) -> AsyncIterator[httpx.Response]:
        """A streamed GET (server-sent events) with the session's token and no read limit."""
        token = await self.access_token(session)
        timeout = httpx.Timeout(
            self.settings.backend_timeout_s,
            connect=self.settings.backend_connect_timeout_s,
            read=None,
        )
        request = self.client.build_request(
            "GET",
            self.url(service, path),
            headers={**self._headers(token), **headers},
            timeout=timeout,
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise ServiceUnavailable(service) from error
        try:
            if response.status_code >= 400:
                await response.aread()
                if response.status_code == 401:
                    raise SignedOut
                raise _error_from(response)
            yield response
        finally:
            await response.aclose()

    async def access_token(self, session: WebSession, *, force: bool = False) -> str:
        """The session's access token, refreshed first if it is (nearly) expired.

        Raises:
            SignedOut: Not signed in, or the refresh token was refused.
        """
        if not session.data.signed_in:
            raise SignedOut
        lock = self._locks.get(session.raw_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[session.raw_id] = lock
        stale_token = session.data.access_token
        async with lock:
            fresh = session.data.access_expires_at - REFRESH_MARGIN_S > time.time()
            if session.data.access_token and fresh and not force:
                return session.data.access_token
            if force and session.data.access_token != stale_token and session.data.access_token:
                return session.data.access_token  # another request refreshed meanwhile
            await self._refresh(session)
        assert session.data.access_token is not None
        return session.data.access_token

    async def _refresh(self, session: WebSession) -> None:
        response = await self._send(
            "profile",
            "POST",
            "/v1/auth/refresh",
            None,
            json={"refresh_token": session.data.refresh_token},
        )
        if response.status_code >= 500:
            raise ServiceUnavailable("profile")
        if response.status_code >= 400:
            log.info("session_refresh_refused", status=response.status_code)
            self._forget(session)
            raise SignedOut
        body = response.json()
        session.store_tokens(body["access_token"], body["refresh_token"], int(body["expires_in"]))
        session.data.roles = list(token_claims(body["access_token"]).get("roles", []))
        log.info("session_tokens_refreshed")

    @staticmethod
    def _forget(session: WebSession) -> None:
        session.data.account_id = None
        session.data.access_token = None
        session.data.refresh_token = None
        session.data.roles = []
        session.changed()
