"""Resolves a webhook URL's host and checks every address it gives.

Run when a subscription is registered (a refused URL gets a 422 that says why)
and again before each delivery, because a name can be pointed somewhere else
after it was checked (DNS rebinding). The delivery then connects to the very
address checked here instead of resolving the name a second time.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Protocol

from notifications_service.domain.webhook_urls import (
    IPAddress,
    WebhookUrlRefused,
    literal_address,
    parse_webhook_url,
    refuse_address,
)


class Resolver(Protocol):
    """Turns a host name into its addresses."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``; raises OSError when it does not resolve."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), off the event loop."""

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address of ``host``, in the resolver's order, without repeats."""
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        found: list[IPAddress] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            address = literal_address(str(sockaddr[0]))
            if address is not None and address not in found:
                found.append(address)
        return found


@dataclass(frozen=True, slots=True)
class CheckedTarget:
    """A webhook URL's host and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    address: IPAddress


class WebhookGuard:
    """Checks webhook URLs against the address rules, resolving names.

    Args:
        allow_private: ``WEBHOOK_ALLOW_PRIVATE``: http and local addresses
            allowed (development and tests).
        resolver: Name resolution (the system's by default).
    """

    def __init__(self, *, allow_private: bool = False, resolver: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self._resolver = resolver or SystemResolver()

    async def check(self, url: str) -> CheckedTarget:
        """The address to connect to for ``url``.

        Every address the name resolves to must be allowed, not only the first:
        a name answering with one public and one internal address is refused.

        Raises:
            WebhookUrlRefused: The URL or one of its addresses may not be called,
                or the name does not resolve.
        """
        target = parse_webhook_url(url, allow_private=self.allow_private)
        if target.address is not None:
            addresses = [target.address]
        else:
            try:
                addresses = await self._resolver.resolve(target.host, target.port)
            except (OSError, UnicodeError) as exc:
                raise WebhookUrlRefused(
                    "unresolvable", f"The webhook host {target.host} cannot be found"
                ) from exc
            if not addresses:
                raise WebhookUrlRefused(
                    "unresolvable", f"The webhook host {target.host} cannot be found"
                )
        for address in addresses:
            refuse_address(address, target.host, allow_private=self.allow_private)
        return CheckedTarget(target.scheme, target.host, target.port, addresses[0])
