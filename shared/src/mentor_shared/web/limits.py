"""Request bodies refused at the door, and the caller's address behind the web frontend.

:class:`BodyLimitMiddleware` answers 413 in the documented error shape before a
byte of an oversized body reaches a route: at once from ``Content-Length``, or as
soon as a streamed (chunked) body passes the limit. A route prefix may have a
larger limit of its own (the coach spreadsheet, the LinkedIn export).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from fastapi import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mentor_shared.web.errors import error_body


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        error_body(
            "payload_too_large",
            f"The request body is larger than {limit} bytes",
            {"limit_bytes": limit},
        ),
        status_code=413,
    )


class BodyLimitMiddleware:
    """413 for bodies above the route's limit, before they are read."""

    def __init__(
        self, app: ASGIApp, *, default: int, per_prefix: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.default = default
        # Longest prefix first, so "/v1/admin/import" wins over "/v1/admin".
        self.per_prefix = sorted((per_prefix or {}).items(), key=lambda item: -len(item[0]))

    def limit_for(self, path: str) -> int:
        """The largest body accepted on ``path``."""
        for prefix, limit in self.per_prefix:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0:
                    response = JSONResponse(
                        error_body("bad_request", "Content-Length is not a number"),
                        status_code=400,
                    )
                    await response(scope, receive, send)
                    return
                if declared > limit:
                    await _too_large(limit)(scope, receive, send)
                    return
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # The route sees a client that went away (no more of the body is
                    # read); whatever it answers is replaced by the 413 below.
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except Exception:
            # A route that reads the body itself (request.form()) raises on the
            # disconnect it was handed; that is the 413 below, not a failure.
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)


def client_ip(request: Request) -> str:
    """The caller's address: the direct peer, or the last ``X-Forwarded-For`` hop
    when the peer is a trusted proxy (``TRUSTED_PROXIES``: addresses or ranges such
    as the web frontend's pods' network)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for")
    settings = getattr(request.app.state, "settings", None)
    if not forwarded or not _is_trusted(peer, getattr(settings, "trusted_proxies", "")):
        return peer
    hop = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return peer


def _is_trusted(peer: str, trusted: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in (part.strip() for part in (trusted or "").split(",")):
        if not entry:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
