"""Erasure, the caller's export, the shared message limit and streams that end.

Real uvicorn servers, the real embedded broker and real SQLite files.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mentor_shared.events.schemas import (
    MatchRequested,
    ProfileDeleted,
    ProfileUpserted,
    Roles,
)
from mentor_shared.runtime import open_sqlite_store
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.tokens import TokenMaker
from messaging_service.adapters.schema import LADDER
from messaging_service.adapters.sqlite_repository import (
    SqliteMessagingReadModel,
    SqliteMessagingUnitOfWork,
)
from messaging_service.domain.commands import OpenConversation
from messaging_service.service import handlers
from tests.messaging.conftest import (
    RunningServer,
    early_in_rate_window,
    future,
    messaging_settings,
    open_conversation,
    person_id,
    post,
    serve_in_thread,
)

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("messaging-privacy")


@pytest.fixture(scope="module")
def running(embedded_broker: EmbeddedBroker, data_dir: Path) -> Iterator[RunningServer]:
    settings = messaging_settings(embedded_broker.bootstrap_servers, data_dir)
    with serve_in_thread(settings, TokenMaker()) as server:
        yield server


async def name_person(running: RunningServer, profile_id: str, display_name: str) -> None:
    initials = "".join(part[0] for part in display_name.split()[:2])
    await publish(
        running.settings.kafka_bootstrap_servers,
        ProfileUpserted(
            profile_id=profile_id,
            version=1,
            display_name=display_name,
            initials=initials,
            anonymous=False,
            roles=Roles(mentee=True),
        ),
        subject=profile_id,
    )


async def erase(running: RunningServer, profile_id: str) -> None:
    await publish(
        running.settings.kafka_bootstrap_servers,
        ProfileDeleted(profile_id=profile_id),
        subject=profile_id,
    )


async def shown_as(
    running: RunningServer, client: httpx.AsyncClient, viewer: str, cid: str, name: str
) -> dict[str, Any]:
    """Wait until ``viewer``'s list shows the other person of ``cid`` as ``name``."""

    async def check() -> dict[str, Any] | None:
        listing = await client.get("/v1/conversations", headers=running.tokens.headers(viewer))
        for item in listing.json()["items"]:
            if item["id"] == cid and item["other_participant"]["display_name"] == name:
                return dict(item)
        return None

    found: dict[str, Any] = await wait_for(check)
    return found


async def left(
    running: RunningServer, client: httpx.AsyncClient, viewer: str, cid: str
) -> dict[str, Any]:
    """Wait until the other person of ``viewer``'s conversation ``cid`` is gone (erased)."""

    async def check() -> dict[str, Any] | None:
        listing = await client.get("/v1/conversations", headers=running.tokens.headers(viewer))
        for item in listing.json()["items"]:
            if item["id"] == cid and item["other_participant"]["id"] is None:
                return dict(item)
        return None

    found: dict[str, Any] = await wait_for(check)
    return found


async def read_events(
    lines: AsyncIterator[str], until: str, timeout: float
) -> list[dict[str, str]]:
    """Server-sent events up to and including the first of type ``until``."""
    events: list[dict[str, str]] = []

    async def collect() -> None:
        event: dict[str, str] = {}
        async for line in lines:
            if not line:
                if event:
                    events.append(event)
                    if event.get("event") == until:
                        return
                event = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(": ")
            event[name] = value

    await asyncio.wait_for(collect(), timeout=timeout)
    return events


# --- one message limit for every replica -------------------------------------------------------


async def test_two_instances_on_one_store_hold_one_message_limit(
    fresh_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    # A broker of its own: two more members of the consumer groups, leaving at the
    # end, would hold up the other tests' server while the groups rebalance.
    limit = 6
    tokens = TokenMaker()
    first_settings, second_settings = (
        messaging_settings(fresh_broker.bootstrap_servers, tmp_path, message_rate_limit=limit)
        for _ in range(2)
    )
    mentee, mentor = person_id(), person_id()
    store = await open_sqlite_store(first_settings, LADDER)
    uow = SqliteMessagingUnitOfWork(store.handle)
    async with uow:
        await handlers.open_conversation(
            OpenConversation(f"match-{uuid.uuid4()}", mentee, mentor, "Hello", datetime.now(UTC)),
            uow,
        )
        await uow.commit()
    [summary] = await SqliteMessagingReadModel(store.handle).conversations_of(mentee)
    cid = summary.conversation.id
    await store.close()

    with (
        serve_in_thread(first_settings, tokens) as first,
        serve_in_thread(second_settings, tokens) as second,
    ):
        async with (
            httpx.AsyncClient(base_url=first.base_url, timeout=10) as one,
            httpx.AsyncClient(base_url=second.base_url, timeout=10) as two,
        ):
            replicas = [(one, first), (two, second)]
            await early_in_rate_window(first_settings.message_rate_window_s, 15)
            statuses = [
                (await post(*replicas[i % 2], mentee, cid, f"m{i}")).status_code
                for i in range(limit)
            ]
            refused = [await post(c, r, mentee, cid, "one too many") for c, r in replicas]

    assert statuses == [201] * limit
    assert [r.status_code for r in refused] == [429, 429]
    for response in refused:
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert response.json()["error"]["code"] == "rate_limited"


# --- erasure ---------------------------------------------------------------------------------


async def test_after_erasure_the_database_and_its_wal_hold_none_of_their_words_or_name(
    running: RunningServer, client: httpx.AsyncClient, data_dir: Path
) -> None:
    mentee, mentor = person_id(), person_id()
    marker = uuid.uuid4().hex[:12]
    name = f"Quilla Marchbanks{marker}"
    words = f"zanzibarquill{marker}"
    await name_person(running, mentee, name)
    conversation = await open_conversation(
        running, client, mentee, mentor, message=f"Could we talk? {words} request", accept=True
    )
    cid = conversation["id"]
    await shown_as(running, client, mentor, cid, name)
    for i in range(3):
        assert (await post(client, running, mentee, cid, f"{words} {i} " * 40)).status_code == 201
    assert (await post(client, running, mentor, cid, "Happy to help")).status_code == 201
    proposed = await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={"starts_at": future(), "duration_minutes": 60, "location": f"Room {words}"},
        headers=running.tokens.headers(mentee),
    )
    assert proposed.status_code == 201

    await erase(running, mentee)
    await left(running, client, mentor, cid)

    files = sorted(data_dir.glob("messaging.sqlite3*"))
    assert any(f.name == "messaging.sqlite3" for f in files)

    async def clean() -> list[str]:
        leaks = [
            f.name
            for f in files
            if f.exists()
            and (words.encode() in f.read_bytes() or marker.encode() in f.read_bytes())
        ]
        return [] if leaks else ["clean"]

    # The WAL is truncated right after the erasure's commit, which the list may show first.
    await wait_for(clean, timeout=10)


async def test_a_replayed_match_request_for_an_erased_person_opens_no_conversation(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    gone, other, mentor = person_id(), person_id(), person_id()
    first = await open_conversation(running, client, gone, other)
    await erase(running, gone)
    await left(running, client, other, first["id"])
    replayed, marker = (
        MatchRequested(
            match_id=f"match-{uuid.uuid4()}",
            mentee_id=mentee,
            mentor_id=mentor,
            message="Hello",
            expires_at=datetime.now(UTC) + timedelta(days=14),
        )
        for mentee in (gone, person_id())
    )
    # One key, so the marker is applied after the replayed request.
    await publish(
        running.settings.kafka_bootstrap_servers, replayed, marker, subject=replayed.match_id
    )

    async def listed() -> list[dict[str, Any]] | None:
        response = await client.get("/v1/conversations", headers=running.tokens.headers(mentor))
        items: list[dict[str, Any]] = response.json()["items"]
        return items if any(c["match_id"] == marker.match_id for c in items) else None

    items = await wait_for(listed)
    assert [c["match_id"] for c in items] == [marker.match_id]


# --- export ----------------------------------------------------------------------------------


async def test_the_export_holds_the_callers_conversations_messages_sessions_and_reports(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor, stranger = person_id(), person_id(), person_id()
    await name_person(running, mentor, "Omar Idris")
    conversation = await open_conversation(
        running, client, mentee, mentor, message="Could you mentor me?", accept=True
    )
    cid = conversation["id"]
    await shown_as(running, client, mentee, cid, "Omar Idris")
    await post(client, running, mentee, cid, "Thank you for accepting")
    reply = await post(client, running, mentor, cid, "Glad to")
    await client.post(
        f"/v1/conversations/{cid}/read",
        json={"message_id": reply.json()["id"]},
        headers=running.tokens.headers(mentee),
    )
    await client.post(
        f"/v1/conversations/{cid}/messages/{reply.json()['id']}/report",
        json={"reason": "Testing the export"},
        headers=running.tokens.headers(mentee),
    )
    session = await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={"starts_at": future(), "duration_minutes": 45, "location": "Room 4"},
        headers=running.tokens.headers(mentor),
    )
    elsewhere = await open_conversation(running, client, stranger, mentor)
    await post(client, running, stranger, elsewhere["id"], "Not for the mentee's eyes")

    response = await client.get("/v1/me/export/messaging", headers=running.tokens.headers(mentee))

    assert response.status_code == 200
    export = response.json()
    assert (export["service"], export["person_id"]) == ("messaging", mentee)
    [held] = export["conversations"]
    assert held["id"] == cid
    assert held["role"] == "mentee"
    assert held["other_participant"] == {"id": mentor, "display_name": "Omar Idris"}
    assert held["last_read_seq"] == 3
    assert [(m["sender_id"], m["body"]) for m in held["messages"]] == [
        (mentee, "Could you mentor me?"),
        (mentee, "Thank you for accepting"),
        (mentor, "Glad to"),
    ]
    assert [s["id"] for s in held["sessions"]] == [session.json()["id"]]
    assert [(r["message_id"], r["reason"]) for r in export["reports"]] == [
        (reply.json()["id"], "Testing the export")
    ]
    assert stranger not in response.text
    assert "Not for the mentee's eyes" not in response.text
    # The mentor's export does not show what the mentee reported.
    theirs = await client.get("/v1/me/export/messaging", headers=running.tokens.headers(mentor))
    assert theirs.json()["reports"] == []
    assert {c["id"] for c in theirs.json()["conversations"]} == {cid, elsewhere["id"]}


async def test_the_export_needs_a_token_and_is_in_the_openapi_document(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/v1/me/export/messaging")).status_code == 401
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/v1/me/export/messaging"]["get"]
    assert {"200", "401"} <= set(operation["responses"])


# --- live streams end ---------------------------------------------------------------------


async def test_a_stream_ends_when_its_access_token_expires(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    token = running.tokens.token(mentor, ttl_s=3)
    expires_at = time.time() + 3

    async with (
        httpx.AsyncClient(base_url=running.base_url, timeout=30) as listener,
        listener.stream(
            "GET",
            f"/v1/conversations/{conversation['id']}/stream",
            params={"access_token": token},
        ) as stream,
    ):
        assert stream.status_code == 200
        events = await read_events(stream.aiter_lines(), until="end", timeout=10)
        ended_at = time.time()

    assert json.loads(events[-1]["data"]) == {"reason": "token_expired"}
    # Ends at the token's expiry (whole seconds), well before the next keep-alive.
    assert expires_at - 1.5 <= ended_at <= expires_at + 1.5


async def test_a_stream_ends_when_the_listener_is_erased(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)

    async with (
        httpx.AsyncClient(base_url=running.base_url, timeout=30) as listener,
        listener.stream(
            "GET",
            f"/v1/conversations/{conversation['id']}/stream",
            headers=running.tokens.headers(mentor),
        ) as stream,
    ):
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        async for line in lines:
            if line.startswith(": stream open"):
                break
        started = time.monotonic()
        await erase(running, mentor)
        events = await read_events(lines, until="end", timeout=10)

    assert json.loads(events[-1]["data"]) == {"reason": "access_revoked"}
    assert time.monotonic() - started < 10
