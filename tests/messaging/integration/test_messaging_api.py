"""The messaging service over HTTP on a real uvicorn server and the real embedded broker."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from aiokafka import AIOKafkaConsumer

from mentor_shared.events import Envelope
from mentor_shared.events.schemas import MatchDeclined, ProfileDeleted, ProfileUpserted, Roles
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.tokens import TokenMaker
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

RATE_LIMIT = 40


@pytest.fixture(scope="module")
def running(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    settings = messaging_settings(
        embedded_broker.bootstrap_servers,
        tmp_path_factory.mktemp("messaging"),
        message_rate_limit=RATE_LIMIT,
    )
    with serve_in_thread(settings, TokenMaker()) as server:
        yield server


# --- events in: match.requested opens the conversation --------------------------------


async def test_match_requested_opens_a_conversation_with_the_request_message_first(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()

    conversation = await open_conversation(
        running, client, mentee, mentor, message="Could you mentor me on policy work?"
    )

    assert conversation["status"] == "requested"
    assert conversation["read_only"] is False
    assert conversation["other_participant"]["id"] == mentor
    messages = await client.get(
        f"/v1/conversations/{conversation['id']}/messages", headers=running.tokens.headers(mentor)
    )
    assert messages.status_code == 200
    [first] = messages.json()["items"]
    assert first["body"] == "Could you mentor me on policy work?"
    assert first["sender_id"] == mentee
    assert first["seq"] == 1
    listing = await client.get("/v1/conversations", headers=running.tokens.headers(mentor))
    [seen_by_mentor] = [c for c in listing.json()["items"] if c["id"] == conversation["id"]]
    assert seen_by_mentor["unread_count"] == 1


async def test_a_posted_message_reaches_the_broker_as_message_sent_without_its_body(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    secret = f"private words {uuid.uuid4()}"

    response = await post(client, running, mentor, conversation["id"], secret)
    assert response.status_code == 201
    message_id = response.json()["id"]

    consumer = AIOKafkaConsumer(
        "messaging",
        bootstrap_servers=running.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    found: list[tuple[Envelope, bytes]] = []
    try:
        deadline = time.monotonic() + 20
        while not found and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    if record.value is None:
                        continue  # a tombstone (another test's, on the shared broker)
                    envelope = Envelope.from_bytes(record.value)
                    if (
                        envelope.type == "message.sent"
                        and envelope.data["message_id"] == message_id
                    ):
                        found.append((envelope, record.value))
    finally:
        await consumer.stop()
    assert found, "message.sent did not reach the broker"
    envelope, raw = found[0]
    assert envelope.data["sender_id"] == mentor
    assert envelope.data["recipient_id"] == mentee
    assert envelope.data["conversation_id"] == conversation["id"]
    assert "body" not in envelope.data
    assert secret.encode() not in raw


# --- participants only -------------------------------------------------------------------


async def test_nobody_but_the_two_participants_can_see_or_touch_a_conversation(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    cid = conversation["id"]
    page = await client.get(
        f"/v1/conversations/{cid}/messages", headers=running.tokens.headers(mentee)
    )
    mid = page.json()["items"][0]["id"]
    proposed = await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={"starts_at": future(), "duration_minutes": 60, "location": "Room 4"},
        headers=running.tokens.headers(mentee),
    )
    sid = proposed.json()["id"]
    accepted = await client.post(
        f"/v1/conversations/{cid}/sessions/{sid}/accept", headers=running.tokens.headers(mentor)
    )
    assert accepted.status_code == 200
    endpoints: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/v1/conversations/{cid}/messages", None),
        ("POST", f"/v1/conversations/{cid}/messages", {"body": "hi"}),
        ("POST", f"/v1/conversations/{cid}/read", {"message_id": mid}),
        ("POST", f"/v1/conversations/{cid}/messages/{mid}/report", {"reason": "spam"}),
        ("GET", f"/v1/conversations/{cid}/stream", None),
        ("GET", f"/v1/conversations/{cid}/sessions", None),
        (
            "POST",
            f"/v1/conversations/{cid}/sessions",
            {"starts_at": future(), "duration_minutes": 60, "location": "Room 4"},
        ),
        (
            "POST",
            f"/v1/conversations/{cid}/sessions/series",
            {"starts_at": future(), "location": "Room 4"},
        ),
        ("GET", f"/v1/conversations/{cid}/sessions/{sid}.ics", None),
        ("POST", f"/v1/conversations/{cid}/sessions/{sid}/accept", None),
        ("POST", f"/v1/conversations/{cid}/sessions/{sid}/decline", None),
        ("POST", f"/v1/conversations/{cid}/sessions/{sid}/held", None),
        ("POST", f"/v1/conversations/{cid}/sessions/{sid}/cancel", None),
    ]
    outsiders = {
        "stranger": running.tokens.headers(person_id()),
        "administrator": running.tokens.headers(person_id(), admin=True),
    }
    unknown = f"/v1/conversations/{uuid.uuid4()}/messages"
    not_found_body = (await client.get(unknown, headers=outsiders["stranger"])).json()
    for who, headers in outsiders.items():
        for method, path, body in endpoints:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 404, (who, method, path, response.status_code)
            assert response.json() == not_found_body, (who, method, path)
        listing = await client.get("/v1/conversations", headers=headers)
        assert all(c["id"] != cid for c in listing.json()["items"]), who
    stream = await client.get(
        f"/v1/conversations/{cid}/stream",
        params={"access_token": running.tokens.token(person_id(), admin=True)},
    )
    assert stream.status_code == 404
    # Nothing the outsiders tried changed anything.
    sessions = await client.get(
        f"/v1/conversations/{cid}/sessions", headers=running.tokens.headers(mentor)
    )
    assert [s["status"] for s in sessions.json()["items"]] == ["confirmed"]
    messages = await client.get(
        f"/v1/conversations/{cid}/messages", headers=running.tokens.headers(mentor)
    )
    assert len(messages.json()["items"]) == 1


async def test_requests_without_a_token_are_refused(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    assert (await client.get("/v1/conversations")).status_code == 401
    assert (await client.get(f"/v1/conversations/{uuid.uuid4()}/stream")).status_code == 401


# --- posting rules ---------------------------------------------------------------------------


async def test_empty_whitespace_and_over_long_messages_are_422(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    for body in ["", "   \n\t ", "x" * 5001]:
        response = await post(client, running, mentee, conversation["id"], body)
        assert response.status_code == 422, repr(body[:10])
    ok = await post(client, running, mentee, conversation["id"], "x" * 5000)
    assert ok.status_code == 201


async def test_posting_faster_than_the_limit_is_429_with_retry_after(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    await early_in_rate_window(running.settings.message_rate_window_s, 20)
    statuses = [
        (await post(client, running, mentee, conversation["id"], f"m{i}")).status_code
        for i in range(RATE_LIMIT)
    ]
    assert statuses == [201] * RATE_LIMIT

    refused = await post(client, running, mentee, conversation["id"], "one too many")

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    # The limit is per person: the mentor can still reply.
    assert (await post(client, running, mentor, conversation["id"], "reply")).status_code == 201


async def test_a_declined_request_leaves_the_conversation_read_only_with_the_reason(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    await publish(
        running.settings.kafka_bootstrap_servers,
        MatchDeclined(match_id=conversation["match_id"], mentee_id=mentee, mentor_id=mentor),
        subject=conversation["match_id"],
    )

    async def closed() -> dict[str, Any] | None:
        listing = await client.get("/v1/conversations", headers=running.tokens.headers(mentee))
        [item] = [c for c in listing.json()["items"] if c["id"] == conversation["id"]]
        return item if item["read_only"] else None

    item = await wait_for(closed)
    assert item["status"] == "closed"
    assert item["closed_reason"] == "declined"
    refused = await post(client, running, mentee, conversation["id"], "are you sure?")
    assert refused.status_code == 409
    assert refused.json()["error"]["details"] == {"reason": "declined"}
    history = await client.get(
        f"/v1/conversations/{conversation['id']}/messages", headers=running.tokens.headers(mentor)
    )
    assert history.status_code == 200
    assert len(history.json()["items"]) == 1


async def test_read_receipts_bring_the_unread_count_down(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    cid = conversation["id"]
    ids = [(await post(client, running, mentee, cid, f"note {i}")).json()["id"] for i in range(3)]

    async def unread() -> int:
        listing = await client.get("/v1/conversations", headers=running.tokens.headers(mentor))
        [item] = [c for c in listing.json()["items"] if c["id"] == cid]
        return int(item["unread_count"])

    assert await unread() == 4
    receipt = await client.post(
        f"/v1/conversations/{cid}/read",
        json={"message_id": ids[1]},
        headers=running.tokens.headers(mentor),
    )
    assert receipt.status_code == 200
    assert receipt.json() == {"last_read_seq": 3, "unread_count": 1}
    assert await unread() == 1


async def test_conversations_are_listed_newest_activity_first_with_the_other_persons_name(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, first_mentor, second_mentor = person_id(), person_id(), person_id()
    await publish(
        running.settings.kafka_bootstrap_servers,
        ProfileUpserted(
            profile_id=first_mentor,
            version=1,
            display_name="Priya Shah",
            initials="PS",
            anonymous=True,
            roles=Roles(mentor=True),
        ),
        subject=first_mentor,
    )
    older = await open_conversation(running, client, mentee, first_mentor)
    newer = await open_conversation(running, client, mentee, second_mentor)

    async def listing() -> list[dict[str, Any]]:
        response = await client.get("/v1/conversations", headers=running.tokens.headers(mentee))
        items: list[dict[str, Any]] = response.json()["items"]
        named = [c for c in items if c["other_participant"]["display_name"] == "Priya Shah"]
        return items if named else []

    items = await wait_for(listing)
    assert [c["id"] for c in items] == [newer["id"], older["id"]]
    await post(client, running, first_mentor, older["id"], "Happy to help")
    items = (await client.get("/v1/conversations", headers=running.tokens.headers(mentee))).json()[
        "items"
    ]
    assert [c["id"] for c in items] == [older["id"], newer["id"]]
    # Anonymous, but she is part of this conversation: her name is shown.
    assert items[0]["other_participant"]["display_name"] == "Priya Shah"


# --- pagination ---------------------------------------------------------------------------


async def test_paging_while_others_write_neither_repeats_nor_skips_a_message(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    cid = conversation["id"]
    for i in range(15):
        await post(client, running, mentee, cid, f"before {i}")
        await post(client, running, mentor, cid, f"before reply {i}")
    pre_existing = {
        m["id"]
        for m in (
            await client.get(
                f"/v1/conversations/{cid}/messages",
                params={"limit": 200},
                headers=running.tokens.headers(mentee),
            )
        ).json()["items"]
    }
    assert len(pre_existing) == 31

    async def keep_writing() -> None:
        for i in range(20):
            await post(client, running, mentor, cid, f"during {i}")

    writer = asyncio.create_task(keep_writing())
    seen: list[str] = []
    seqs: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = (
            await client.get(
                f"/v1/conversations/{cid}/messages",
                params=params,
                headers=running.tokens.headers(mentee),
            )
        ).json()
        seen += [m["id"] for m in page["items"]]
        seqs += [m["seq"] for m in page["items"]]
        cursor = page["next_cursor"]
        await asyncio.sleep(0.01)
        if cursor is None:
            break
    await writer

    assert len(seen) == len(set(seen)), "a message was served twice"
    assert pre_existing <= set(seen), "a pre-existing message was skipped"
    assert seqs == sorted(seqs, reverse=True)


async def test_a_bad_cursor_is_422(running: RunningServer, client: httpx.AsyncClient) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    response = await client.get(
        f"/v1/conversations/{conversation['id']}/messages",
        params={"cursor": "not-a-cursor"},
        headers=running.tokens.headers(mentee),
    )
    assert response.status_code == 422


# --- live stream ---------------------------------------------------------------------------


async def test_the_stream_delivers_a_new_message_within_200_ms(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    cid = conversation["id"]
    token = running.tokens.token(mentor)
    async with (
        httpx.AsyncClient(base_url=running.base_url, timeout=10) as listener,
        listener.stream(
            "GET", f"/v1/conversations/{cid}/stream", params={"access_token": token}
        ) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        async for line in lines:
            if line.startswith(": stream open"):
                break
        latencies = []
        for i in range(5):
            started = time.perf_counter()
            sent = await post(client, running, mentee, cid, f"live {i}")
            assert sent.status_code == 201
            event: dict[str, str] = {}
            async for line in lines:
                if not line:
                    if event.get("event") == "message":
                        break
                    event = {}
                    continue
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(": ")
                event[name] = value
            latencies.append(time.perf_counter() - started)
            delivered = json.loads(event["data"])
            assert delivered["id"] == sent.json()["id"]
            assert delivered["body"] == f"live {i}"
            assert event["id"] == str(delivered["seq"])
    print(f"\nstream latencies ms: {[round(x * 1000, 1) for x in latencies]}")
    assert max(latencies) < 0.2


async def test_a_reconnecting_stream_replays_what_it_missed_after_last_event_id(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    cid = conversation["id"]
    await post(client, running, mentee, cid, "missed while offline")
    async with client.stream(
        "GET",
        f"/v1/conversations/{cid}/stream",
        headers={**running.tokens.headers(mentor), "Last-Event-ID": "1"},
    ) as stream:
        data = None
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                data = json.loads(line.removeprefix("data: "))
                break
    assert data is not None
    assert data["body"] == "missed while offline"
    assert data["seq"] == 2


# --- reports ----------------------------------------------------------------------------------


async def test_administrators_see_reported_messages_but_not_the_conversation(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    cid = conversation["id"]
    bad = await post(client, running, mentor, cid, "something inappropriate")
    await post(client, running, mentor, cid, "an innocent follow-up")
    reported = await client.post(
        f"/v1/conversations/{cid}/messages/{bad.json()['id']}/report",
        json={"reason": "harassment"},
        headers=running.tokens.headers(mentee),
    )
    assert reported.status_code == 201

    members = await client.get("/v1/admin/reports", headers=running.tokens.headers(mentee))
    assert members.status_code == 403
    queue = await client.get(
        "/v1/admin/reports", headers=running.tokens.headers(person_id(), admin=True)
    )
    assert queue.status_code == 200
    [entry] = [r for r in queue.json()["items"] if r["id"] == reported.json()["id"]]
    assert entry["reason"] == "harassment"
    assert entry["message"]["body"] == "something inappropriate"
    assert cid not in queue.text
    assert "an innocent follow-up" not in queue.text


# --- sessions and invites --------------------------------------------------------------------


async def test_sessions_need_an_accepted_match(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor)
    response = await client.post(
        f"/v1/conversations/{conversation['id']}/sessions",
        json={"starts_at": future(), "duration_minutes": 60, "location": "Room 1"},
        headers=running.tokens.headers(mentee),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "match_not_accepted"


async def test_invalid_session_proposals_are_422(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    path = f"/v1/conversations/{conversation['id']}/sessions"
    naive = (datetime.now(UTC) + timedelta(days=2)).replace(tzinfo=None).isoformat()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for body in [
        {"starts_at": naive, "duration_minutes": 60, "location": "Room 1"},
        {"starts_at": past, "duration_minutes": 60, "location": "Room 1"},
        {"starts_at": future(), "duration_minutes": 10, "location": "Room 1"},
        {"starts_at": future(), "duration_minutes": 241, "location": "Room 1"},
        {"starts_at": future(), "duration_minutes": 60},
        {"starts_at": future(), "duration_minutes": 60, "location": "R", "colour": "red"},
    ]:
        response = await client.post(path, json=body, headers=running.tokens.headers(mentee))
        assert response.status_code == 422, body


async def test_an_accepted_session_has_an_icalendar_invite_that_parses_back(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    cid = conversation["id"]
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    proposed = await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={
            "starts_at": starts.astimezone(
                __import__("zoneinfo").ZoneInfo("Europe/London")
            ).isoformat(),
            "duration_minutes": 45,
            "online_link": "https://meet.example.gov.uk/room/42",
        },
        headers=running.tokens.headers(mentee),
    )
    assert proposed.status_code == 201
    sid = proposed.json()["id"]
    ics_path = f"/v1/conversations/{cid}/sessions/{sid}.ics"
    assert (await client.get(ics_path, headers=running.tokens.headers(mentee))).status_code == 409
    # Only the other person accepts.
    own = await client.post(
        f"/v1/conversations/{cid}/sessions/{sid}/accept", headers=running.tokens.headers(mentee)
    )
    assert own.status_code == 409
    accepted = await client.post(
        f"/v1/conversations/{cid}/sessions/{sid}/accept", headers=running.tokens.headers(mentor)
    )
    assert accepted.json()["status"] == "confirmed"

    first = await client.get(ics_path, headers=running.tokens.headers(mentee))
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/calendar")
    # The same document the confirmation email carries (RFC 5546 PUBLISH): issue 17
    # made the downloaded and emailed copies agree (this was METHOD:REQUEST).
    assert "method=PUBLISH" in first.headers["content-type"]
    calendar = icalendar.Calendar.from_ical(first.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert "PRODID" in calendar
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == starts + timedelta(minutes=45)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "https://meet.example.gov.uk/room/42"
    assert str(event["URL"]) == "https://meet.example.gov.uk/room/42"
    assert "DTSTAMP" in event
    assert "SUMMARY" in event
    assert "ATTENDEE" not in event
    assert "@" not in str(event.get("ORGANIZER", ""))
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])

    cancelled = await client.post(
        f"/v1/conversations/{cid}/sessions/{sid}/cancel", headers=running.tokens.headers(mentee)
    )
    assert cancelled.json()["status"] == "cancelled"
    withdrawn = await client.get(ics_path, headers=running.tokens.headers(mentor))
    assert "method=CANCEL" in withdrawn.headers["content-type"]
    second = icalendar.Calendar.from_ical(withdrawn.content)
    # A cancelled session's copy removes the calendar entry (RFC 5546 CANCEL).
    assert str(second["METHOD"]) == "CANCEL"
    [event2] = second.walk("VEVENT")
    assert str(event2["UID"]) == uid
    assert int(event2["SEQUENCE"]) > sequence
    assert str(event2["STATUS"]) == "CANCELLED"


async def test_planning_a_series_proposes_six_hour_sessions_three_weeks_apart(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    cid = conversation["id"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    response = await client.post(
        f"/v1/conversations/{cid}/sessions/series",
        json={"starts_at": start.isoformat(), "location": "102 Petty France"},
        headers=running.tokens.headers(mentor),
    )
    assert response.status_code == 201
    items = response.json()["items"]
    starts = [datetime.fromisoformat(s["starts_at"]) for s in items]
    assert starts == [start + timedelta(weeks=3 * i) for i in range(6)]
    assert {s["duration_minutes"] for s in items} == {60}
    assert {s["status"] for s in items} == {"proposed"}
    listed = await client.get(
        f"/v1/conversations/{cid}/sessions", headers=running.tokens.headers(mentee)
    )
    assert [s["id"] for s in listed.json()["items"]] == [s["id"] for s in items]


# --- erasure ---------------------------------------------------------------------------------


async def test_profile_deleted_removes_their_messages_and_leaves_a_read_only_conversation(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    cid = conversation["id"]
    await post(client, running, mentor, cid, "Welcome aboard")
    await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={"starts_at": future(), "duration_minutes": 60, "location": "Room 2"},
        headers=running.tokens.headers(mentee),
    )
    await publish(
        running.settings.kafka_bootstrap_servers,
        ProfileDeleted(profile_id=mentee),
        subject=mentee,
    )

    async def erased() -> dict[str, Any] | None:
        listing = await client.get("/v1/conversations", headers=running.tokens.headers(mentor))
        [item] = [c for c in listing.json()["items"] if c["id"] == cid]
        return item if item["closed_reason"] == "account_deleted" else None

    item = await wait_for(erased)
    assert item["read_only"] is True
    assert item["other_participant"] == {"id": None, "display_name": "A former member"}
    messages = (
        await client.get(
            f"/v1/conversations/{cid}/messages", headers=running.tokens.headers(mentor)
        )
    ).json()["items"]
    # The mentee's request message is deleted; the mentor keeps their own.
    assert [(m["seq"], m["sender_id"], m["body"]) for m in messages] == [
        (2, mentor, "Welcome aboard")
    ]
    sessions = await client.get(
        f"/v1/conversations/{cid}/sessions", headers=running.tokens.headers(mentor)
    )
    assert sessions.json()["items"] == []
    # The erased person's tokens are refused (they left the conversation: see above).
    gone = await client.get(
        f"/v1/conversations/{cid}/messages", headers=running.tokens.headers(mentee)
    )
    assert (gone.status_code, gone.json()["error"]["code"]) == (401, "token_revoked")
    assert (await post(client, running, mentor, cid, "hello?")).status_code == 409
