"""The account doors over HTTP: per-IP limits, erasure with the password, uploads read
only after the caller is known. One service with small limits, the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from mentor_shared.testing.broker import EmbeddedBroker
from tests.profile.helpers import (
    PASSWORD,
    EventReader,
    bearer,
    profile_settings,
    register_verified,
    running_app,
    sign_in,
    token_of,
)

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]

REGISTRATIONS_PER_IP = 5


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    data_dir: Path = tmp_path_factory.mktemp("profile-doors")
    settings = profile_settings(
        embedded_broker.bootstrap_servers,
        data_dir,
        register_limit_per_ip=REGISTRATIONS_PER_IP,
        password_reset_limit_per_ip=5,
        linkedin_max_body_bytes=2 * 2**20,
    )
    async with running_app(settings) as (_, started):
        yield started


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reader(embedded_broker: EmbeddedBroker) -> AsyncIterator[EventReader]:
    events = await EventReader(embedded_broker.bootstrap_servers, ["account"]).start()
    yield events
    await events.stop()


def unique_email(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"


def from_address(address: str) -> dict[str, str]:
    """As the web frontend (a trusted proxy on 127.0.0.1) passes the browser's address."""
    return {"X-Forwarded-For": address}


async def register(
    client: httpx.AsyncClient, email: str, address: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/v1/accounts",
        json={"email": email, "password": password, "display_name": "Flo Flood"},
        headers=from_address(address),
    )


async def test_registrations_past_the_per_ip_limit_get_429_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    answers = [
        await register(client, unique_email("flood"), "203.0.113.10")
        for _ in range(REGISTRATIONS_PER_IP + 2)
    ]
    assert [a.status_code for a in answers] == [201] * REGISTRATIONS_PER_IP + [429, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    # Another address behind the same proxy has its own count.
    assert (await register(client, unique_email("other"), "203.0.113.11")).status_code == 201


async def test_reset_answers_202_while_its_emails_stop_after_the_hourly_cap(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("reset")
    await register_verified(client, reader, email, "Rhea Reset")
    answers = [
        await client.post(
            "/v1/accounts/password-reset",
            json={"email": email},
            headers=from_address("203.0.113.20"),
        )
        for _ in range(5)
    ]
    assert [a.status_code for a in answers] == [202] * 5
    first = await reader.wait_for(
        lambda e: e.type == "account.password_reset_requested" and e.data["email"] == email
    )
    await asyncio.sleep(2)
    # Verification + 2 resets make the 3 emails of the hour; the first link still works.
    resets = reader.matching(
        lambda e: e.type == "account.password_reset_requested" and e.data["email"] == email
    )
    assert len(resets) == 2
    confirmed = await client.post(
        "/v1/accounts/password-reset/confirm",
        json={"token": token_of(first), "password": "a fresh passphrase for rhea"},
    )
    assert confirmed.status_code == 204, confirmed.text
    # A sixth request from the same network is over the per-IP limit.
    sixth = await client.post(
        "/v1/accounts/password-reset", json={"email": email}, headers=from_address("203.0.113.20")
    )
    assert sixth.status_code == 429


async def test_deleting_ones_account_asks_for_the_password(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("leaver")
    _, token = await register_verified(client, reader, email, "Lee Leaver")
    missing = await client.request("DELETE", "/v1/profiles/me", headers=bearer(token))
    assert missing.status_code == 422
    wrong = await client.request(
        "DELETE", "/v1/profiles/me", headers=bearer(token), json={"password": "not mine"}
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "password_incorrect"
    assert (await client.get("/v1/profiles/me", headers=bearer(token))).status_code == 200
    right = await client.request(
        "DELETE", "/v1/profiles/me", headers=bearer(token), json={"password": PASSWORD}
    )
    assert right.status_code == 204
    assert (await sign_in(client, email)).status_code == 401


class CountingBody:
    """A multipart body streamed in 64 KiB chunks, counting how many the server pulled."""

    CHUNK = 64 * 1024

    def __init__(self, boundary: str, field: str, size: int) -> None:
        self.boundary = boundary
        self.field = field
        self.size = size
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{self.field}"; '
            f'filename="upload.csv"\r\nContent-Type: text/csv\r\n\r\nName\n'
        ).encode()
        while self.sent < self.size:
            self.sent += self.CHUNK
            yield b"a" * (self.CHUNK - 1) + b"\n"
        yield f"\r\n--{self.boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("path", "field"),
    [("/v1/profiles/me/import/linkedin", "files"), ("/v1/admin/import", "file")],
)
async def test_an_anonymous_upload_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient, path: str, field: str
) -> None:
    body = CountingBody("b0undary", field, 768 * 1024)  # under every body limit
    refused = await client.post(
        path,
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert refused.status_code == 401
    assert body.sent <= 2 * CountingBody.CHUNK


async def test_uploads_have_the_routes_own_size_limit(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    _, token = await register_verified(client, reader, unique_email("big"), "Bo Big")
    too_big = await client.post(
        "/v1/profiles/me/import/linkedin",
        headers=bearer(token),
        files={"files": ("Skills.csv", b"Name\n" + b"x" * (3 * 2**20), "text/csv")},
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    # Above the 1 MiB every other route allows, within this route's 2 MiB: read and
    # judged on its content (far too many rows for a LinkedIn export).
    large = b"Name\n" + b"Public speaking\n" * 90_000
    read = await client.post(
        "/v1/profiles/me/import/linkedin",
        headers=bearer(token),
        files={"files": ("Skills.csv", large, "text/csv")},
    )
    assert read.status_code == 422, read.text
    assert read.json()["error"]["code"] == "linkedin_export_invalid"
