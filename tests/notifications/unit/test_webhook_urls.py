"""Which webhook URLs are refused, and why: the address rules with real resolution.

Hosts written as addresses need no DNS; ``localhost`` is resolved by the system
resolver (``/etc/hosts``). A resolver of our own stands in only where a name
must answer with chosen addresses.
"""

from __future__ import annotations

import ipaddress

import pytest

from notifications_service.domain.webhook_urls import (
    IPAddress,
    WebhookUrlRefused,
    address_refusal,
    literal_address,
)
from notifications_service.service.webhook_guard import WebhookGuard

REFUSED = [
    ("http://hooks.example.org/plain-http", "not_https"),
    ("ftp://hooks.example.org/file", "not_https"),
    ("https://user:pass@hooks.example.org/", "credentials"),
    ("https:///no-host", "invalid"),
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.8.9.10:8443/hook", "loopback"),
    ("https://localhost:8001/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.0.0.7/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://172.31.255.255/hook", "private"),
    ("https://192.168.1.20/hook", "private"),
    ("https://[fd00::1]/hook", "private"),
    ("https://[fc12:3456::1]/hook", "private"),
    ("https://100.64.0.1/hook", "shared"),
    ("https://169.254.1.1/hook", "link_local"),
    ("https://[fe80::1]/hook", "link_local"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/latest", "metadata"),
    ("https://100.100.100.200/latest", "metadata"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("https://[::ffff:127.0.0.1]/hook", "loopback"),
    ("https://[::ffff:169.254.169.254]/hook", "metadata"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://[64:ff9b::a00:1]/hook", "private"),
    ("https://[2002:7f00:1::]/hook", "loopback"),
    ("https://2130706433/hook", "loopback"),
    ("https://0177.0.0.1/hook", "loopback"),
    ("https://0x7f.0.0.1/hook", "loopback"),
    ("https://0x7f000001/hook", "loopback"),
    ("https://2852039166/latest", "metadata"),
    ("https://0251.0376.0251.0376/latest", "metadata"),
    ("https://012.0.0.1/hook", "private"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://192.0.2.10/hook", "reserved"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://255.255.255.255/hook", "reserved"),
]

ACCEPTED = [
    "https://93.184.215.14/hooks/mentor-match",
    "https://8.8.8.8:8443/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[::ffff:8.8.8.8]/hook",
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
async def test_inside_or_plain_webhook_urls_are_refused_with_the_reason(
    url: str, reason: str
) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        await WebhookGuard().check(url)
    assert refused.value.reason == reason
    assert refused.value.message


@pytest.mark.parametrize("url", ACCEPTED)
async def test_public_https_addresses_are_accepted_and_pinned(url: str) -> None:
    checked = await WebhookGuard().check(url)
    assert checked.scheme == "https"
    assert address_refusal(checked.address) is None


def test_every_form_of_an_address_is_read_as_the_resolver_reads_it() -> None:
    loopback = ipaddress.ip_address("127.0.0.1")
    for written in ("2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]"):
        found = literal_address(written)
        assert found is not None
        assert found == loopback or getattr(found, "ipv4_mapped", None) == loopback
    assert literal_address("hooks.example.org") is None
    assert literal_address("deadbeef.example") is None


class FixedResolver:
    """A name service answering with chosen addresses."""

    def __init__(self, *answers: str) -> None:
        self.answers = [ipaddress.ip_address(a) for a in answers]
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        self.asked.append(host)
        return list(self.answers)


async def test_a_name_with_one_public_and_one_inside_address_is_refused() -> None:
    guard = WebhookGuard(resolver=FixedResolver("93.184.215.14", "10.1.2.3"))
    with pytest.raises(WebhookUrlRefused) as refused:
        await guard.check("https://hooks.example.org/hook")
    assert refused.value.reason == "private"
    assert "hooks.example.org (10.1.2.3)" in refused.value.message


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        await WebhookGuard().check("https://no-such-host.invalid/hook")
    assert refused.value.reason == "unresolvable"


async def test_allowing_private_addresses_lets_local_http_receivers_in_but_not_metadata() -> None:
    guard = WebhookGuard(allow_private=True)
    assert str((await guard.check("http://127.0.0.1:9999/hook")).address) == "127.0.0.1"
    assert str((await guard.check("http://localhost:9999/hook")).address) in ("127.0.0.1", "::1")
    assert (await guard.check("https://10.0.0.7/hook")).port == 443
    for url in (
        "http://169.254.169.254/latest",
        "http://0.0.0.0:8000/",
        "http://224.0.0.1/",
        "ftp://127.0.0.1/",
    ):
        with pytest.raises(WebhookUrlRefused):
            await guard.check(url)
