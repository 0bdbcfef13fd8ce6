"""Transactional email first, across services: the profile service (import, invitation
sender, outbox lanes) and the notifications service (consumer, delivery worker) on a
real broker of their own, with a real SMTP server receiving the emails.

2,000 coaches are imported and their invitations sent at 600 a minute; a person who
signs up then gets their verification email within a bound that does not depend on
how many invitations are waiting, and the invitations go no faster than the setting.
That each invitation is released once, across a restart or a failed transaction, is
shown on the store in tests/profile/unit/test_invitations.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import wait_for
from notifications_service.api.app import create_notifications_app
from notifications_service.settings import NotificationsSettings
from tests.notifications.conftest import SmtpSink
from tests.profile.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    bearer,
    profile_settings,
    running_app,
    sign_in,
)
from tests.sealing import SEAL_KEY

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]

COACHES = 2000
PER_MINUTE = 600
SIGNUP_BOUND_S = 20.0
"""Generous for a loaded 2-core machine; measured about 1 s (see docs/operations.md)."""


@dataclass
class System:
    broker: EmbeddedBroker
    smtp: SmtpSink
    data_dir: Path
    notifications: httpx.AsyncClient


@asynccontextmanager
async def notifications_running(
    broker: EmbeddedBroker, smtp: SmtpSink, data_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = NotificationsSettings(
        environment="test",
        kafka_bootstrap_servers=broker.bootstrap_servers,
        data_dir=data_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_s=2.0,
        unsubscribe_secret="integration-test-unsubscribe-secret",
        event_seal_key=SEAL_KEY,
        delivery_poll_interval_s=0.1,
        # The notifications service's own bound on bulk mail is not what is tested here.
        bulk_emails_per_minute=60_000,
    )
    app = create_notifications_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await wait_for(ready, timeout=40)
            yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[System]:
    # A broker of the module's own: the notifications consumer reads every topic from
    # the start, and other tests' events on a shared broker would crowd the figures.
    broker = EmbeddedBroker().start()
    smtp = SmtpSink()
    smtp.start()
    data_dir = tmp_path_factory.mktemp("transactional")
    try:
        async with notifications_running(broker, smtp, data_dir / "n") as client:
            yield System(broker, smtp, data_dir, client)
    finally:
        smtp.stop()
        broker.stop()


def coach_csv(tag: str, count: int) -> bytes:
    rows = ["name,email,department,profession,grade,region,expertise,approach,capacity"]
    rows += [
        f"Coach {n},coach.{tag}.{n}@cabinetoffice.gov.uk,co,policy,G6,london,"
        "Leadership;Resilience,Solution focused,3"
        for n in range(count)
    ]
    return "\n".join(rows).encode()


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


async def import_coaches(client: httpx.AsyncClient, tag: str, count: int) -> str:
    response = await client.post(
        "/v1/admin/import",
        files={"file": ("coaches.csv", coach_csv(tag, count), "text/csv")},
        headers=await admin_headers(client),
    )
    assert response.status_code == 200, response.text
    assert response.json()["invitations"] == count
    import_id: str = response.json()["import_id"]
    return import_id


def claims_to(smtp: SmtpSink, tag: str) -> list[str]:
    return [str(m["To"]) for m in smtp.messages if f"coach.{tag}." in str(m["To"])]


async def test_a_sign_up_is_emailed_at_once_while_2000_invitations_go_at_the_set_rate(
    system: System,
) -> None:
    settings = profile_settings(
        system.broker.bootstrap_servers,
        system.data_dir / "p1",
        claim_invitations_per_minute=PER_MINUTE,
    )
    tag = uuid.uuid4().hex[:6]
    async with running_app(settings) as (_, client):
        import_id = await import_coaches(client, tag, COACHES)
        assert claims_to(system.smtp, tag) == []
        headers = await admin_headers(client)
        sent = await client.post(f"/v1/admin/imports/{import_id}/invitations", headers=headers)
        assert sent.status_code == 202, sent.text
        asked = time.monotonic()
        assert sent.json()["invitations"]["queued"] == COACHES

        signup = f"new.person.{tag}@cabinetoffice.gov.uk"
        started = time.monotonic()
        registered = await client.post(
            "/v1/accounts", json={"email": signup, "password": PASSWORD, "display_name": "New"}
        )
        assert registered.status_code == 201

        async def verification_arrived() -> bool:
            return bool(system.smtp.to(signup))

        await wait_for(verification_arrived, timeout=SIGNUP_BOUND_S)
        waited = time.monotonic() - started
        invitations_by_then = len(claims_to(system.smtp, tag))
        print(f"\nverification after {waited:.1f} s; {invitations_by_then} invitations by then")
        assert "verify" in system.smtp.to(signup)[0].get_body().get_content()  # type: ignore[union-attr]
        assert invitations_by_then < COACHES

        # Going out, at no more than the set rate (the bucket holds one second's worth).
        await asyncio.sleep(3.0)
        progress = await client.get(f"/v1/admin/imports/{import_id}", headers=headers)
        elapsed = time.monotonic() - asked
        counts = progress.json()["invitations"]
        print(f"{counts['sent']} invitations released in {elapsed:.1f} s")
        assert 0 < counts["sent"] <= PER_MINUTE / 60 * elapsed + PER_MINUTE / 60 + 1
        assert counts["sent"] + counts["queued"] == COACHES
        assert not counts["done"]
        assert len(claims_to(system.smtp, tag)) <= counts["sent"]
