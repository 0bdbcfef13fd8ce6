"""The shared plan and private session notes over HTTP, on a real server and broker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mentor_shared.events.schemas import MatchEnded, ProfileUpserted, Roles
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.tokens import TokenMaker
from tests.messaging.conftest import (
    RunningServer,
    messaging_settings,
    open_conversation,
    person_id,
    serve_in_thread,
)

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def running(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    settings = messaging_settings(
        embedded_broker.bootstrap_servers, tmp_path_factory.mktemp("messaging-plan")
    )
    with serve_in_thread(settings, TokenMaker()) as server:
        yield server


def headers(running: RunningServer, who: str, *, admin: bool = False) -> dict[str, str]:
    return running.tokens.headers(who, admin=admin)


async def mentee_with_goals(running: RunningServer, goals: list[str]) -> str:
    mentee = person_id()
    await publish(
        running.settings.kafka_bootstrap_servers,
        ProfileUpserted(
            profile_id=mentee,
            version=1,
            display_name="Mina Example",
            initials="ME",
            roles=Roles(mentee=True),
            goals=goals,
        ),
        subject=mentee,
    )
    return mentee


async def accepted_with_session(
    running: RunningServer, client: httpx.AsyncClient, mentee: str, mentor: str
) -> tuple[str, str]:
    conversation = await open_conversation(running, client, mentee, mentor, accept=True)
    cid = conversation["id"]
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0).isoformat()
    proposed = await client.post(
        f"/v1/conversations/{cid}/sessions",
        json={"starts_at": starts, "duration_minutes": 60, "location": "Room 3"},
        headers=headers(running, mentee),
    )
    assert proposed.status_code == 201, proposed.text
    return cid, proposed.json()["id"]


async def test_the_plan_starts_with_the_mentees_goals_and_both_people_edit_it(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee = await mentee_with_goals(running, ["Brief ministers", "Lead a team"])
    mentor = person_id()
    cid, _ = await accepted_with_session(running, client, mentee, mentor)
    path = f"/v1/conversations/{cid}/plan"

    async def prefilled() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(path, headers=headers(running, mentor))).json()
        return body if body["goals"] else None

    first = await wait_for(prefilled)
    assert (first["version"], first["goals"], first["actions"]) == (
        0,
        ["Brief ministers", "Lead a team"],
        [],
    )
    assert first["editable"] is True

    saved = await client.put(
        path,
        json={
            "version": 0,
            "goals": ["Brief ministers"],
            "actions": [
                {"text": "Shadow a briefing", "owner": "mentee", "due_on": "2027-01-15"},
            ],
        },
        headers=headers(running, mentor),
    )
    assert saved.status_code == 200, saved.text
    plan = saved.json()
    assert (plan["version"], plan["updated_by"]) == (1, mentor)
    [action] = plan["actions"]
    assert action["id"]
    assert action["done"] is False

    ticked = await client.put(
        path,
        json={
            "version": 1,
            "goals": plan["goals"],
            "actions": [{**action, "done": True}],
        },
        headers=headers(running, mentee),
    )
    assert ticked.status_code == 200, ticked.text
    seen = (await client.get(path, headers=headers(running, mentor))).json()
    assert seen["version"] == 2
    assert seen["actions"] == [{**action, "done": True}]


async def test_a_stale_plan_write_is_409_with_the_current_version(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    cid, _ = await accepted_with_session(running, client, mentee, mentor)
    path = f"/v1/conversations/{cid}/plan"
    body = {"version": 0, "goals": ["Grow"], "actions": []}
    assert (await client.put(path, json=body, headers=headers(running, mentee))).status_code == 200
    stale = await client.put(path, json=body, headers=headers(running, mentor))
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert (error["code"], error["details"]) == ("plan_version_conflict", {"current_version": 1})


async def test_bad_plans_and_notes_are_422_in_the_error_shape(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    cid, sid = await accepted_with_session(running, client, mentee, mentor)
    path = f"/v1/conversations/{cid}/plan"
    action = {"text": "Read", "owner": "mentee"}
    for body in [
        {"version": 0, "goals": ["g"] * 21, "actions": []},
        {"version": 0, "goals": [], "actions": [action] * 51},
        {"version": 0, "goals": ["x" * 301], "actions": []},
        {"version": 0, "goals": ["  "], "actions": []},
        {"version": 0, "goals": [], "actions": [{"text": "Read", "owner": "someone"}]},
        {"version": 0, "goals": [], "actions": [{**action, "due_on": "soon"}]},
        {"version": -1, "goals": [], "actions": []},
        {"goals": [], "actions": []},
    ]:
        response = await client.put(path, json=body, headers=headers(running, mentee))
        assert response.status_code == 422, body
        assert set(response.json()["error"]) == {"code", "message", "details"}
    notes = f"/v1/conversations/{cid}/sessions/{sid}/notes"
    too_long = await client.put(notes, json={"body": "x" * 5001}, headers=headers(running, mentee))
    assert too_long.status_code == 422


async def test_no_plan_before_acceptance_and_read_only_after_the_match_ends(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    requested = await open_conversation(running, client, mentee, mentor)
    early = await client.get(
        f"/v1/conversations/{requested['id']}/plan", headers=headers(running, mentee)
    )
    assert (early.status_code, early.json()["error"]["code"]) == (409, "match_not_accepted")

    cid, _ = await accepted_with_session(running, client, mentee, mentor)
    path = f"/v1/conversations/{cid}/plan"
    body = {"version": 0, "goals": ["Grow"], "actions": []}
    assert (await client.put(path, json=body, headers=headers(running, mentee))).status_code == 200
    match_id = next(
        c["match_id"]
        for c in (await client.get("/v1/conversations", headers=headers(running, mentee))).json()[
            "items"
        ]
        if c["id"] == cid
    )
    await publish(
        running.settings.kafka_bootstrap_servers,
        MatchEnded(match_id=match_id, mentee_id=mentee, mentor_id=mentor, ended_by=mentor),
        subject=match_id,
    )

    async def ended() -> bool:
        plan = (await client.get(path, headers=headers(running, mentee))).json()
        return plan["editable"] is False

    await wait_for(ended)
    late = await client.put(path, json={**body, "version": 1}, headers=headers(running, mentor))
    assert (late.status_code, late.json()["error"]["code"]) == (409, "conversation_read_only")


async def test_session_notes_are_private_to_their_author(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    cid, sid = await accepted_with_session(running, client, mentee, mentor)
    notes = f"/v1/conversations/{cid}/sessions/{sid}/notes"
    written = await client.put(
        notes, json={"body": "Ask about the spending review"}, headers=headers(running, mentee)
    )
    assert written.status_code == 200, written.text
    mine = (await client.get(notes, headers=headers(running, mentee))).json()
    assert mine["body"] == "Ask about the spending review"
    theirs = (await client.get(notes, headers=headers(running, mentor))).json()
    assert (theirs["body"], theirs["updated_at"]) == ("", None)

    exported = (
        await client.get("/v1/me/export/messaging", headers=headers(running, mentee))
    ).json()
    [conversation] = [c for c in exported["conversations"] if c["id"] == cid]
    assert [n["body"] for n in conversation["session_notes"]] == ["Ask about the spending review"]
    other_export = (
        await client.get("/v1/me/export/messaging", headers=headers(running, mentor))
    ).json()
    assert "spending review" not in str(other_export)

    unknown = await client.get(
        f"/v1/conversations/{cid}/sessions/no-such-session/notes",
        headers=headers(running, mentee),
    )
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "session_not_found")


async def test_outsiders_and_administrators_get_the_conversations_404(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentee, mentor = person_id(), person_id()
    cid, sid = await accepted_with_session(running, client, mentee, mentor)
    plan = f"/v1/conversations/{cid}/plan"
    notes = f"/v1/conversations/{cid}/sessions/{sid}/notes"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", plan, None),
        ("PUT", plan, {"version": 0, "goals": ["Take over"], "actions": []}),
        ("GET", notes, None),
        ("PUT", notes, {"body": "snooping"}),
    ]
    for who in (headers(running, person_id()), headers(running, person_id(), admin=True)):
        for method, path, body in calls:
            response = await client.request(method, path, json=body, headers=who)
            assert response.status_code == 404, (method, path, response.status_code)
            assert response.json()["error"]["code"] == "conversation_not_found"
    for method, path, body in calls:
        assert (await client.request(method, path, json=body)).status_code == 401
    untouched = (await client.get(plan, headers=headers(running, mentee))).json()
    assert untouched["version"] == 0
