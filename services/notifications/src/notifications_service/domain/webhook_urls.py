"""Which webhook addresses may be called: outside addresses only.

An administrator registers other departments' webhook URLs, and the delivery
worker POSTs to them from inside the network. Without a check, a URL such as
``http://169.254.169.254/`` or ``http://10.0.0.7/`` makes the service a probe of
the internal network (its delivery counts tell which addresses answered).

A URL must be ``https``, carry no credentials, and every address its host
resolves to must be a public (globally routable) one: loopback, private
(RFC 1918, RFC 4193), shared (RFC 6598), link-local, multicast, unspecified,
reserved and cloud metadata addresses are refused, also when written as an
IPv4-mapped, NAT64 or 6to4 IPv6 address or in the decimal, octal or
hexadecimal forms ``inet_aton`` accepts (``2130706433``, ``0177.0.0.1``).
``allow_private`` (``WEBHOOK_ALLOW_PRIVATE``, for development and tests) also
allows ``http`` and non-public addresses, but never metadata, multicast or
unspecified ones.

Pure Python: the caller resolves names (``service.webhook_guard``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from mentor_shared.errors import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000

# Cloud instance metadata and similar host-only services.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS DNS
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address)
        "192.0.0.192",  # Oracle Cloud
    )
)
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata", "instance-data"})

NAT64 = ipaddress.ip_network("64:ff9b::/96")
SHARED = ipaddress.ip_network("100.64.0.0/10")
THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(text)
    for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")  # RFC 1918, 4193
)
_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)


class WebhookUrlRefused(InvalidInput):
    """The URL may not receive webhooks; ``message`` says why, ``reason`` is a code
    (also the answer's ``details.reason``)."""

    code = "webhook_url_refused"

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message, details={"reason": reason})


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where a webhook URL points: scheme, host (a name or a literal address), port."""

    scheme: str
    host: str
    port: int
    address: IPAddress | None
    """Set when the host is written as an address (in any form)."""


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as one stands for, or None for a name.

    Accepts bracketed or scoped IPv6 and every IPv4 form ``inet_aton`` does,
    as the system resolver would.
    """
    text = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def address_refusal(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why a webhook may not go to ``address`` (a reason code), or None if it may."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_refusal(inner, allow_private=allow_private)
    if address in METADATA_ADDRESSES:
        return "metadata"
    if address.is_unspecified or address in THIS_NETWORK:
        return "unspecified"
    if address.is_multicast:
        return "multicast"
    if allow_private:
        return None
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link_local"
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED:
        return "shared"
    if any(address in network for network in PRIVATE_NETWORKS):
        return "private"
    if not address.is_global or address.is_private or address.is_reserved:
        return "reserved"
    return None


REASON_TEXT = {
    "metadata": "a cloud metadata address",
    "unspecified": "an unspecified address",
    "multicast": "a multicast address",
    "loopback": "a loopback address",
    "link_local": "a link-local address",
    "shared": "a shared (carrier-grade NAT) address",
    "private": "a private network address",
    "reserved": "a reserved or non-public address",
}


def refuse_address(address: IPAddress, host: str, *, allow_private: bool) -> None:
    """Raise WebhookUrlRefused when ``address`` (``host``'s) may not be called."""
    reason = address_refusal(address, allow_private=allow_private)
    if reason is None:
        return
    shown = host if str(address) == host.strip("[]") else f"{host} ({address})"
    raise WebhookUrlRefused(
        reason,
        f"The webhook address {shown} is {REASON_TEXT[reason]}; "
        "webhooks can only be sent to public internet addresses",
    )


def parse_webhook_url(url: str, *, allow_private: bool = False) -> WebhookTarget:
    """Check a URL's form and, when its host is written as an address, that address.

    Raises:
        WebhookUrlRefused: Not https (unless ``allow_private``), credentials in
            it, no host, or a host that may not be called.
    """
    if len(url) > MAX_URL_LENGTH:
        raise WebhookUrlRefused("invalid", "The webhook URL is too long")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused("invalid", "The webhook URL is not valid") from exc
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if allow_private else ("https",)
    if scheme not in allowed:
        raise WebhookUrlRefused(
            "not_https", "The webhook URL must start with https:// (an encrypted connection)"
        )
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused(
            "credentials", "The webhook URL must not contain a user or password"
        )
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise WebhookUrlRefused("invalid", "The webhook URL has no host")
    if host in METADATA_NAMES:
        raise WebhookUrlRefused(
            "metadata",
            f"The webhook address {host} is {REASON_TEXT['metadata']}; "
            "webhooks can only be sent to public internet addresses",
        )
    address = literal_address(host)
    if address is not None:
        refuse_address(address, host, allow_private=allow_private)
    return WebhookTarget(
        scheme=scheme,
        host=host,
        port=port if port is not None else (443 if scheme == "https" else 80),
        address=address,
    )
