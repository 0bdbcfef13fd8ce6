"""POSTs webhook bodies with httpx."""

from __future__ import annotations

import httpx

from notifications_service.service.ports import DeliveryError


class HttpxWebhookPoster:
    """One shared client with a hard timeout; redirects are not followed."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=False)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the status; DeliveryError on a network failure."""
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(type(exc).__name__) from exc
        return response.status_code

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()
