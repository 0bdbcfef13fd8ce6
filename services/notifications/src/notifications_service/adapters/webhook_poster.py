"""POSTs webhook bodies with httpx, to the address just checked.

Before each POST the URL's host is resolved and every address checked again
(``WebhookGuard``); the request then goes to that checked address, with the
name kept in the ``Host`` header and in TLS (SNI and certificate checks), so a
name re-pointed between the check and the connection (DNS rebinding) cannot
redirect it. Redirects are never followed and the response body is not read.
"""

from __future__ import annotations

import httpx

from notifications_service.domain.webhook_urls import WebhookUrlRefused
from notifications_service.service.ports import DeliveryError
from notifications_service.service.webhook_guard import WebhookGuard


class HttpxWebhookPoster:
    """One shared client with a hard timeout; redirects are not followed."""

    def __init__(self, guard: WebhookGuard, timeout_s: float = 10.0) -> None:
        self._guard = guard
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the status; DeliveryError when refused or on a network failure."""
        try:
            target = await self._guard.check(url)
        except WebhookUrlRefused as exc:
            raise DeliveryError(f"refused: {exc.reason}") from exc
        try:
            pinned = httpx.URL(url).copy_with(host=str(target.address), port=target.port)
        except (httpx.InvalidURL, ValueError) as exc:
            raise DeliveryError("refused: invalid") from exc
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        if ":" in target.host:
            host_header = f"[{target.host}]" + (
                "" if target.port == default_port else f":{target.port}"
            )
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self._client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise DeliveryError(type(exc).__name__) from exc
        await response.aclose()
        return response.status_code

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
