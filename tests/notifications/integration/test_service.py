"""The notifications service end to end: real broker, real SMTP server, real HTTP.

One service instance (uvicorn on a free port) is shared by the module: a
consumer group join takes about five seconds on the embedded broker.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from fastapi import FastAPI, Request
from standardwebhooks import Webhook

from mentor_shared.events.envelope import Envelope, new_event
from mentor_shared.events.registry import REGISTRY
from mentor_shared.events.schemas import (
    AccountRegistered,
    AccountVerificationRequested,
    MatchAccepted,
    MatchRequested,
    ProfileDeleted,
    ProfileUpserted,
    Roles,
    SessionScheduled,
)
from mentor_shared.testing.broker import EmbeddedBroker, free_port
from mentor_shared.testing.events import wait_for
from mentor_shared.testing.tokens import TokenMaker
from mentor_shared.web.app import build_server
from notifications_service.api.app import create_notifications_app
from notifications_service.domain.unsubscribe import make_unsubscribe_token
from notifications_service.settings import NotificationsSettings
from tests.notifications.conftest import SmtpSink
from tests.sealing import SEAL_KEY, SEALER

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class Receiver:
    """A department's webhook endpoint."""

    port: int
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@dataclass
class Service:
    base_url: str
    tokens: TokenMaker
    smtp: SmtpSink
    receiver: Receiver
    producer: AIOKafkaProducer
    bootstrap_servers: str

    async def publish(self, envelope: Envelope) -> None:
        topic = REGISTRY.spec(envelope.type, envelope.version).topic
        await self.producer.send_and_wait(
            topic, value=envelope.to_bytes(), key=envelope.subject.encode()
        )

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=10)


async def applied_events(service: Service) -> int:
    """How many events the service's consumers have applied (from /readyz)."""
    async with service.client() as client:
        checks = (await client.get("/readyz")).json()["checks"]
    return sum(
        group["applied"] for group in checks["consumers"].values() if isinstance(group, dict)
    )


async def _at_least(service: Service, count: int) -> bool:
    return await applied_events(service) >= count


async def _serve(app: FastAPI, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=30)
    return server, task


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(embedded_broker: EmbeddedBroker, tmp_path_factory: Any) -> AsyncIterator[Service]:
    data_dir: Path = tmp_path_factory.mktemp("notifications")
    smtp = SmtpSink()
    smtp.start()
    receiver = Receiver(free_port())
    hook_app = FastAPI()

    @hook_app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        receiver.received.append((dict(request.headers), await request.body()))
        return {"ok": True}

    hook_server, hook_task = await _serve(hook_app, receiver.port)
    port = free_port()
    settings = NotificationsSettings(
        environment="test",
        kafka_bootstrap_servers=embedded_broker.bootstrap_servers,
        data_dir=data_dir,
        port=port,
        api_url=f"http://127.0.0.1:{port}",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_timeout_s=2.0,
        unsubscribe_secret="integration-test-unsubscribe-secret",
        event_seal_key=SEAL_KEY,
        email_backoff_base_s=0.2,
        email_backoff_max_s=1.0,
        email_max_attempts=60,
        webhook_backoff_base_s=0.2,
        # The department's receiver in these tests is a local http server.
        webhook_allow_private=True,
        delivery_poll_interval_s=0.1,
    )
    tokens = TokenMaker()
    app = create_notifications_app(settings)
    app.state.key_set = tokens.key_set()
    server = build_server(app, settings)
    task = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started, timeout=30)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await wait_for(ready, timeout=40)
    producer = AIOKafkaProducer(bootstrap_servers=embedded_broker.bootstrap_servers, acks="all")
    await producer.start()
    try:
        yield Service(
            f"http://127.0.0.1:{port}",
            tokens,
            smtp,
            receiver,
            producer,
            embedded_broker.bootstrap_servers,
        )
    finally:
        await producer.stop()
        server.should_exit = True
        await task
        hook_server.should_exit = True
        await hook_task
        smtp.stop()


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def verification(account_id: str, email: str, token: str) -> Envelope:
    return new_event(
        AccountVerificationRequested(
            account_id=account_id,
            email=email,
            display_name="Ada Lovelace",
            sealed_token=SEALER.seal(token),
            expires_at=datetime.now(UTC) + timedelta(days=1),
        ),
        subject=account_id,
        source="profile",
    )


def profile(pid: str, name: str, department: str, grade: str) -> Envelope:
    return new_event(
        ProfileUpserted(
            profile_id=pid,
            version=1,
            display_name=name,
            initials=name[:1],
            roles=Roles(mentee=True, mentor=True),
            department=department,
            profession="Policy",
            grade=grade,
            region="Wales",
        ),
        subject=pid,
        source="profile",
    )


def registered(pid: str, email: str, name: str) -> Envelope:
    return new_event(
        AccountRegistered(account_id=pid, email=email, display_name=name),
        subject=pid,
        source="profile",
    )


async def test_verification_email_arrives_with_its_link_and_a_redelivery_sends_no_second(
    service: Service,
) -> None:
    account = uid("acct")
    address = f"{account}@example.gov.uk"
    event = verification(account, address, "tok-abc-123")
    await service.publish(registered(account, address, "Ada Lovelace"))
    await service.publish(event)
    await wait_for(lambda: len(service.smtp.to(address)) == 1)
    body = service.smtp.to(address)[0].get_body(("plain",))
    assert body is not None
    assert "http://127.0.0.1:8000/verify?token=tok-abc-123" in body.get_content()
    await service.publish(event)  # same envelope id: a redelivery
    await asyncio.sleep(2.0)
    assert len(service.smtp.to(address)) == 1


async def test_mentor_gets_the_request_live_in_app_and_by_email_and_can_unsubscribe(
    service: Service,
) -> None:
    mentor, mentee = uid("mentor"), uid("mentee")
    mentor_email = f"{mentor}@example.gov.uk"
    seen: list[dict[str, Any]] = []

    async def listen() -> None:
        params = {"access_token": service.tokens.token(mentor)}
        async with (
            service.client() as client,
            client.stream(
                "GET", "/v1/notifications/stream", params=params, timeout=None
            ) as response,
        ):
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.3)
    before = await applied_events(service)
    await service.publish(registered(mentor, mentor_email, "Morgan Reed"))
    await service.publish(profile(mentee, "Mina Shah", "HMRC", "HEO"))
    # Account, profile and match events travel on different topics, so their
    # order is not guaranteed; a real profile exists long before any request.
    await wait_for(lambda: _at_least(service, before + 2))
    await service.publish(
        new_event(
            MatchRequested(
                match_id=uid("match"),
                mentee_id=mentee,
                mentor_id=mentor,
                message="Hello",
                expires_at=datetime.now(UTC) + timedelta(days=14),
            ),
            subject=mentee,
            source="matching",
        )
    )
    await asyncio.wait_for(listener, timeout=20)
    assert seen[0]["kind"] == "request_received"
    assert "Mina Shah" in seen[0]["title"]

    async with service.client() as client:
        mine = (
            await client.get("/v1/notifications", headers=service.tokens.headers(mentor))
        ).json()
        assert mine["unread_count"] == 1
        assert mine["items"][0]["id"] == seen[0]["id"]
        other = await client.post(
            f"/v1/notifications/{seen[0]['id']}/read", headers=service.tokens.headers(mentee)
        )
        assert other.status_code == 404
        read = await client.post(
            f"/v1/notifications/{seen[0]['id']}/read", headers=service.tokens.headers(mentor)
        )
        assert read.status_code == 200
        assert read.json()["read"] is True
        after = (
            await client.get("/v1/notifications", headers=service.tokens.headers(mentor))
        ).json()
        assert after["unread_count"] == 0

        await wait_for(lambda: len(service.smtp.to(mentor_email)) == 1)
        email = service.smtp.to(mentor_email)[0]
        link = re.fullmatch(r"<(.+)>", email["List-Unsubscribe"])
        assert link is not None
        page = await client.get(link.group(1))  # no sign-in
        assert page.status_code == 200
        assert "unsubscribed" in page.text
        prefs = (await client.get("/v1/preferences", headers=service.tokens.headers(mentor))).json()
        assert prefs["channels"]["request_received"] == "in_app"
        assert prefs["channels"]["verification"] == "email"
        forged = await client.get(link.group(1)[:-3] + "xyz")
        assert forged.status_code == 400


async def test_smtp_down_for_five_seconds_then_up_delivers_everything_queued(
    service: Service,
) -> None:
    service.smtp.stop()
    addresses = []
    try:
        for _ in range(3):
            account = uid("acct")
            addresses.append(f"{account}@example.gov.uk")
            await service.publish(verification(account, addresses[-1], uid("tok")))
        await asyncio.sleep(5.0)
        assert all(not service.smtp.to(a) for a in addresses)
    finally:
        service.smtp.start()
    await wait_for(lambda: all(len(service.smtp.to(a)) == 1 for a in addresses), timeout=20)


async def test_webhooks_are_signed_and_public_events_carry_no_personal_data(
    service: Service,
) -> None:
    mentee, mentor, match = uid("mentee"), uid("mentor"), uid("match")
    mentee_email, mentor_email = f"{mentee}@example.gov.uk", f"{mentor}@example.gov.uk"
    async with service.client() as client:
        refused = await client.post(
            "/v1/subscriptions",
            json={"url": service.receiver.url},
            headers=service.tokens.headers(mentee),
        )
        assert refused.status_code == 403
        created = await client.post(
            "/v1/subscriptions",
            json={"url": service.receiver.url, "department": "DWP"},
            headers=service.tokens.headers("admin-1", admin=True),
        )
        assert created.status_code == 201
        # Made by the service and shown this once.
        secret = created.json()["secret"]
        assert secret.startswith("whsec_")
        listed = await client.get(
            "/v1/subscriptions", headers=service.tokens.headers("admin-1", admin=True)
        )
        assert secret not in listed.text
        assert all("secret" not in item for item in listed.json())
    before = await applied_events(service)
    for event in (
        registered(mentee, mentee_email, "Priya Kaur"),
        registered(mentor, mentor_email, "Gareth Evans"),
        profile(mentee, "Priya Kaur", "DWP", "SEO"),
        profile(mentor, "Gareth Evans", "MOD", "G6"),
    ):
        await service.publish(event)
    # People exist before anyone asks anyone (the topics are not ordered together).
    await wait_for(lambda: _at_least(service, before + 4))
    for event in (
        new_event(
            MatchRequested(match_id=match, mentee_id=mentee, mentor_id=mentor, message="Hi",
                           expires_at=datetime.now(UTC) + timedelta(days=14)),
            subject=mentee, source="matching",
        ),
        new_event(MatchAccepted(match_id=match, mentee_id=mentee, mentor_id=mentor),
                  subject=mentee, source="matching"),
    ):  # fmt: skip
        await service.publish(event)
    await wait_for(lambda: len(service.receiver.received) >= 2)
    bodies = []
    for headers, body in service.receiver.received:
        bodies.append(Webhook(secret).verify(body, headers))
    assert sorted(b["type"] for b in bodies) == ["match.accepted", "match.requested"]
    assert {b["department"] for b in bodies} == {"DWP"}
    assert {b["grade_band"] for b in bodies} == {"middle"}
    assert len({b["id"] for b in bodies}) == 2

    consumer = AIOKafkaConsumer(
        "public.match-events",
        bootstrap_servers=service.bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        group_id=None,
    )
    await consumer.start()
    public: list[bytes] = []
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                public += [(r.key or b"") + b"|" + r.value for r in records]
            if sum(b'"match_event":"accepted"' in p and b'"DWP"' in p for p in public) >= 1:
                break
    finally:
        await consumer.stop()
    assert any(b'"department":"DWP"' in p for p in public)
    personal = [mentee, mentor, match, mentee_email, mentor_email, "Priya", "Kaur", "Gareth",
                "Evans", "Mina", "Morgan", "Ada", "example.gov.uk", "mentee-", "mentor-", "match-"]  # fmt: skip
    scanned = b"\n".join(public) + b"\n" + b"\n".join(b for _, b in service.receiver.received)
    for value in personal:
        assert value.encode() not in scanned, value


async def test_profile_deleted_erases_the_persons_notifications(service: Service) -> None:
    person = uid("person")
    await service.publish(registered(person, f"{person}@example.gov.uk", "Erin Blake"))
    await service.publish(profile(uid("mentee"), "Zed Ames", "HMRC", "EO"))
    await service.publish(
        new_event(
            MatchRequested(match_id=uid("match"), mentee_id=uid("mentee"), mentor_id=person,
                           message="Hi", expires_at=datetime.now(UTC) + timedelta(days=1)),
            subject=person, source="matching",
        )
    )  # fmt: skip
    async with service.client() as client:
        headers = service.tokens.headers(person)

        async def count() -> int:
            return len((await client.get("/v1/notifications", headers=headers)).json()["items"])

        async def has_one() -> bool:
            return await count() == 1

        async def revoked() -> bool:
            answer = await client.get("/v1/notifications", headers=headers)
            return answer.status_code == 401 and answer.json()["error"]["code"] == "token_revoked"

        await wait_for(has_one)
        await service.publish(
            new_event(ProfileDeleted(profile_id=person), subject=person, source="profile")
        )
        # Erased: their still-valid token no longer opens anything here, and nothing
        # can be stored for them again through it.
        await wait_for(revoked)
        again = await client.put(
            "/v1/preferences", json={"channels": {"reminder": "off"}}, headers=headers
        )
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "token_revoked"
        assert (await client.get("/v1/me/export/notifications", headers=headers)).status_code == 401


async def test_the_export_holds_the_callers_notifications_preferences_and_email_log(
    service: Service,
) -> None:
    mentor, mentee = uid("mentor"), uid("mentee")
    address = f"{mentor}@example.gov.uk"
    before = await applied_events(service)
    await service.publish(registered(mentor, address, "Olu Export"))
    await service.publish(profile(mentee, "Kit Asker", "DWP", "EO"))
    await service.publish(verification(mentor, address, "tok-export-1"))
    await wait_for(lambda: _at_least(service, before + 3))
    await service.publish(
        new_event(
            MatchRequested(match_id=uid("match"), mentee_id=mentee, mentor_id=mentor,
                           message="Hi", expires_at=datetime.now(UTC) + timedelta(days=14)),
            subject=mentee, source="matching",
        )
    )  # fmt: skip
    await wait_for(lambda: len(service.smtp.to(address)) == 2)
    async with service.client() as client:
        headers = service.tokens.headers(mentor)
        changed = await client.put(
            "/v1/preferences", json={"channels": {"message": "in_app"}}, headers=headers
        )
        assert changed.status_code == 200

        async def all_sent() -> bool:
            export = (await client.get("/v1/me/export/notifications", headers=headers)).json()
            return [e["state"] for e in export["email_log"]] == ["sent", "sent"]

        await wait_for(all_sent)
        response = await client.get("/v1/me/export/notifications", headers=headers)
        assert (await client.get("/v1/me/export/notifications")).status_code == 401
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    export = response.json()
    assert export["service"] == "notifications"
    assert export["account_id"] == mentor
    assert export["contact"] == {"email": address, "display_name": "Olu Export", "verified": False}
    assert export["preferences"]["channels"]["message"] == "in_app"
    (notification,) = export["notifications"]
    assert notification["kind"] == "request_received"
    assert "Kit Asker" in notification["title"]
    assert sorted(e["kind"] for e in export["email_log"]) == ["request_received", "verification"]
    # Metadata only: the bodies (and the link with its token) are not kept once sent.
    assert "tok-export-1" not in response.text
    assert all(set(e) == {"id", "kind", "subject", "state", "attempts", "created_at",
                          "sent_at", "last_error"} for e in export["email_log"])  # fmt: skip


async def test_a_webhook_aimed_at_cloud_metadata_is_refused_with_the_reason(
    service: Service,
) -> None:
    admin = service.tokens.headers("admin-1", admin=True)
    async with service.client() as client:
        for url in (
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:169.254.169.254]/",
            "http://2852039166/latest",
        ):
            refused = await client.post("/v1/subscriptions", json={"url": url}, headers=admin)
            assert refused.status_code == 422, url
            error = refused.json()["error"]
            assert error["code"] == "webhook_url_refused"
            assert error["details"] == {"reason": "metadata"}
            assert "metadata" in error["message"]
        # The secret is the service's to make.
        own = await client.post(
            "/v1/subscriptions",
            json={"url": service.receiver.url, "secret": "department-chosen-secret"},
            headers=admin,
        )
        assert own.status_code == 422
        listed = await client.get("/v1/subscriptions", headers=admin)
    assert all("169.254" not in item["url"] for item in listed.json())


async def test_the_live_stream_ends_when_its_token_expires(service: Service) -> None:
    person = uid("person")
    token = service.tokens.token(person, ttl_s=2)
    lines: list[str] = []
    started = time.monotonic()
    async with (
        service.client() as client,
        client.stream(
            "GET", "/v1/notifications/stream", params={"access_token": token}, timeout=30
        ) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            lines.append(line)
    assert time.monotonic() - started < 10
    assert "event: expired" in lines


async def test_an_expired_unsubscribe_link_says_so(service: Service) -> None:
    person = uid("person")
    secret = "integration-test-unsubscribe-secret"
    expired = make_unsubscribe_token(secret, person, "message", expires_at=time.time() - 60)
    fresh = make_unsubscribe_token(secret, person, "message", expires_at=time.time() + 60)
    async with service.client() as client:
        gone = await client.get("/v1/unsubscribe", params={"token": expired})
        clicked = await client.post("/v1/unsubscribe", params={"token": expired})
        working = await client.get("/v1/unsubscribe", params={"token": fresh})
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "unsubscribe_link_expired"
    assert clicked.status_code == 410
    assert working.status_code == 200


async def test_the_live_stream_ends_when_the_person_is_erased(service: Service) -> None:
    person = uid("person")
    await service.publish(registered(person, f"{person}@example.gov.uk", "Ola Leaving"))
    lines: list[str] = []

    async def listen() -> None:
        params = {"access_token": service.tokens.token(person)}
        async with (
            service.client() as client,
            client.stream(
                "GET", "/v1/notifications/stream", params=params, timeout=None
            ) as response,
        ):
            async for line in response.aiter_lines():
                lines.append(line)

    listener = asyncio.create_task(listen())
    await wait_for(lambda: ": connected" in lines)
    await service.publish(
        new_event(ProfileDeleted(profile_id=person), subject=person, source="profile")
    )
    await asyncio.wait_for(listener, timeout=20)


async def test_a_check_in_is_answered_once_by_the_person_asked_and_summarised_for_admins(
    service: Service,
) -> None:
    mentee, mentor, match_id = uid("mentee"), uid("mentor"), uid("match")
    await service.publish(
        new_event(
            SessionScheduled(session_id=uid("s"), conversation_id=uid("c"), match_id=match_id,
                             proposer_id=mentee, other_id=mentor, status="confirmed",
                             starts_at=datetime(2031, 1, 6, 10, tzinfo=UTC), duration_minutes=60,
                             confirmed_sessions=3),
            subject=match_id, source="messaging",
        )
    )  # fmt: skip
    owner = service.tokens.headers(mentee)
    async with service.client() as client:

        async def pending(headers: dict[str, str]) -> list[dict[str, Any]]:
            response = await client.get("/v1/checkins", headers=headers)
            assert response.status_code == 200
            items: list[dict[str, Any]] = response.json()
            return items

        async def asked() -> bool:
            return bool(await pending(owner)) and bool(
                await pending(service.tokens.headers(mentor))
            )

        await wait_for(asked)
        (mine,) = await pending(owner)
        assert (mine["round"], mine["match_id"], mine["answered"]) == (3, match_id, False)
        path = f"/v1/checkins/{mine['id']}"
        answer = {"rating": 4, "comment": "Useful so far"}
        assert (await client.post(path, json=answer)).status_code == 401
        for someone in (service.tokens.headers(mentor), service.tokens.headers(uid("x")),
                        service.tokens.headers("admin-1", admin=True)):  # fmt: skip
            refused = await client.post(path, json=answer, headers=someone)
            assert refused.status_code == 404
            assert refused.json()["error"]["code"] == "checkin_not_found"
            assert (await client.get(path, headers=someone)).status_code == 404
        for bad in ({"rating": 0}, {"rating": 6}, {"rating": "4"}, {},
                    {"rating": 3, "comment": "x" * 1001}):  # fmt: skip
            invalid = await client.post(path, json=bad, headers=owner)
            assert invalid.status_code == 422, bad
            assert set(invalid.json()["error"]) == {"code", "message", "details"}
        taken = await client.post(path, json=answer, headers=owner)
        assert taken.status_code == 200
        assert (taken.json()["rating"], taken.json()["comment"]) == (4, "Useful so far")
        again = await client.post(path, json={"rating": 1}, headers=owner)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "checkin_already_answered"
        assert await pending(owner) == []
        export = (await client.get("/v1/me/export/notifications", headers=owner)).json()
        assert [(c["id"], c["rating"]) for c in export["checkins"]] == [(mine["id"], 4)]
        summary_path = "/v1/admin/checkins/summary"
        assert (await client.get(summary_path, headers=owner)).status_code == 403
        summary = await client.get(summary_path, headers=service.tokens.headers("a", admin=True))
    assert summary.status_code == 200
    third = next(r for r in summary.json()["rounds"] if r["round"] == 3)
    # Fewer than five answers in this module: nothing but the number sent is shown.
    assert third["sent"] >= 2
    assert (third["answered"], third["answered_display"], third["mean_rating"]) == (
        None,
        "<5",
        None,
    )
    assert third["distribution"] is None
    assert "Useful so far" not in summary.text
