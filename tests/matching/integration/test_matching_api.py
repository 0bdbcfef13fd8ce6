"""The matching service over HTTP on a real uvicorn server and the real embedded broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from mentor_shared.events.schemas import ProfileDeleted, ProfileUpserted
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.tokens import TokenMaker
from tests.matching.conftest import (
    RunningServer,
    matching_settings,
    serve_in_thread,
)
from tests.matching.stores import mentee, upserted

pytestmark = pytest.mark.broker

ADMIN = "admin-person"


@pytest.fixture(scope="module")
def running(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    settings = matching_settings(
        embedded_broker.bootstrap_servers, tmp_path_factory.mktemp("matching")
    )
    with serve_in_thread(settings, TokenMaker()) as server:
        yield server


@pytest.fixture
async def client(running: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as http:
        yield http


def pid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def indexed(
    running: RunningServer, client: httpx.AsyncClient, *profiles: ProfileUpserted
) -> None:
    """Publish profiles and wait until each version is in the index."""
    await publish(running.settings.kafka_bootstrap_servers, *profiles)
    admin = running.tokens.headers(ADMIN, admin=True)
    for profile in profiles:

        async def there(profile: ProfileUpserted = profile) -> bool:
            response = await client.get(
                "/v1/index/status", params={"profile_id": profile.profile_id}, headers=admin
            )
            return bool(response.json()["version"] == profile.version)

        await wait_for(there)


async def search(
    running: RunningServer, client: httpx.AsyncClient, who: str, text: str, **filters: Any
) -> list[dict[str, Any]]:
    response = await client.post(
        "/v1/search",
        json={"text": text, "role": "mentor", "filters": filters},
        headers=running.tokens.headers(who),
    )
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def test_readiness_reports_the_index_loaded(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    body = (await client.get("/readyz")).json()
    assert "index_loaded" in json.dumps(body)
    assert (await client.get("/readyz")).status_code == 200


async def test_profile_on_the_broker_becomes_searchable_and_stale_versions_are_ignored(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentor_id = pid("mentor")
    topic = f"quantum cryptography {uuid.uuid4().hex[:6]}"
    await indexed(running, client, upserted(mentor_id, version=2, expertise_text=topic))
    hits = await search(running, client, "someone", topic)
    assert hits[0]["profile_id"] == mentor_id
    assert hits[0]["card"]["display_name"] == "Alex Example"
    # Same key, so the stale version is consumed before the marker.
    marker = upserted(pid("marker"), version=1)
    await publish(
        running.settings.kafka_bootstrap_servers,
        upserted(mentor_id, version=1, expertise_text="gardening"),
        marker,
        subject=mentor_id,
    )
    admin = running.tokens.headers(ADMIN, admin=True)

    async def marker_indexed() -> bool:
        response = await client.get(
            "/v1/index/status", params={"profile_id": marker.profile_id}, headers=admin
        )
        return bool(response.json()["version"] == 1)

    await wait_for(marker_indexed)
    status = await client.get(
        "/v1/index/status",
        params={"profile_id": mentor_id},
        headers=running.tokens.headers(mentor_id),
    )
    assert status.json() == {"profile_id": mentor_id, "version": 2}
    assert (await search(running, client, "someone", topic))[0]["profile_id"] == mentor_id


async def test_deleted_profile_disappears_from_search(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentor_id = pid("mentor")
    topic = f"beekeeping regulation {uuid.uuid4().hex[:6]}"
    await indexed(running, client, upserted(mentor_id, expertise_text=topic))
    assert (await search(running, client, "someone", topic))[0]["profile_id"] == mentor_id
    await publish(running.settings.kafka_bootstrap_servers, ProfileDeleted(profile_id=mentor_id))

    async def gone() -> bool:
        hits = await search(running, client, "someone", topic)
        return mentor_id not in [hit["profile_id"] for hit in hits]

    await wait_for(gone)


async def test_index_status_per_profile_is_for_that_person_or_an_administrator(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    person = pid("mentor")
    await indexed(running, client, upserted(person))
    params = {"profile_id": person}
    other = await client.get("/v1/index/status", params=params, headers=running.tokens.headers("x"))
    assert other.status_code == 403
    own = await client.get(
        "/v1/index/status", params=params, headers=running.tokens.headers(person)
    )
    assert own.json()["version"] == 1
    totals = (await client.get("/v1/index/status", headers=running.tokens.headers("x"))).json()
    assert totals["profiles"] >= 1
    assert totals["last_event"]["type"] in {"profile.upserted", "profile.deleted"}
    assert set(totals) >= {"offers", "seeks", "lag", "snapshot_at"}


async def test_suggestions_apply_self_department_grade_and_capacity_filters(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    goal = f"negotiating with suppliers {uuid.uuid4().hex[:6]}"
    me = pid("mentee")
    same_dept = pid("mentor")
    junior = pid("mentor")
    full = pid("mentor")
    good = pid("mentor")
    anon = pid("mentor")
    await indexed(
        running,
        client,
        mentee(me, department="DWP", grade="SEO", goals_text=goal),
        upserted(same_dept, department="DWP", grade="G7", expertise_text=goal),
        upserted(junior, department="HMRC", grade="HEO", expertise_text=goal),
        upserted(full, department="HMRC", grade="G6", expertise_text=goal, capacity=0),
        upserted(good, department="HMRC", grade="G6", expertise_text=goal, profession="policy"),
        upserted(
            anon,
            department="MOJ",
            grade="G6",
            expertise_text=goal,
            anonymous=True,
            display_name="Jo Bloggs",
            initials="JB",
        ),
    )
    headers = running.tokens.headers(me)
    response = await client.get(
        "/v1/suggestions",
        params={"role": "mentor", "exclude_own_department": "true", "limit": 50},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    ids = [s["profile_id"] for s in response.json()]
    assert good in ids
    assert anon in ids
    assert me not in ids
    assert same_dept not in ids  # own department excluded
    assert junior not in ids  # below the mentee's grade
    assert full not in ids  # no capacity
    card = next(s for s in response.json() if s["profile_id"] == anon)["card"]
    # The shared anonymity rule's initials (mentor_shared.privacy), not the event's.
    assert card["display_name"] == "J. B."
    assert (card["profession"], card["region"]) == (None, None)
    assert all(s["reasons"] for s in response.json() if s["profile_id"] == good)
    any_grade = await client.get(
        "/v1/suggestions", params={"any_grade": "true", "limit": 50}, headers=headers
    )
    assert junior in [s["profile_id"] for s in any_grade.json()]
    # Profession counts (and is named, not coded) only when the caller asks for one.
    params = {"exclude_own_department": "true", "limit": 50}
    unasked = next(s for s in response.json() if s["profile_id"] == good)
    assert not any("profession" in reason for reason in unasked["reasons"])
    asked = await client.get(
        "/v1/suggestions", params={**params, "profession": "policy"}, headers=headers
    )
    reasons = next(s for s in asked.json() if s["profile_id"] == good)["reasons"]
    assert "In the profession you asked for: Policy" in reasons
    too_long = await client.get(
        "/v1/suggestions", params={**params, "profession": "p" * 101}, headers=headers
    )
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"]


async def test_filters_the_goals_ask_for_are_offered_and_never_applied_silently(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    goal = f"writing business cases {uuid.uuid4().hex[:6]}"
    me, other, colleague = pid("mentee"), pid("mentee"), pid("mentor")
    await indexed(
        running,
        client,
        mentee(
            me,
            department="DWP",
            grade="SEO",
            goals_text=(
                f"I'm an SEO in DWP, based in Leeds. I'd like help with {goal}. Ideally "
                "someone outside my department, Grade 6 or above. Happy to meet online."
            ),
        ),
        mentee(other, department="DWP", grade="SEO", goals_text=f"I want help with {goal}."),
        upserted(colleague, department="DWP", grade="G6", expertise_text=goal),
    )
    headers = running.tokens.headers(me)
    offered = await client.get("/v1/suggestions/filters", headers=headers)
    assert offered.status_code == 200, offered.text
    found = offered.json()["suggested_filters"]
    assert [(f["filter"], f["value"], f["applied"]) for f in found] == [
        ("exclude_own_department", True, False),
        ("min_grade", "G6", False),
        ("accept_remote", True, True),  # the default already includes remote mentors
    ]
    assert found[0]["label"] == "Only show people from other departments"
    # Nothing is applied unless asked for: the colleague from DWP is still suggested.
    plain = await client.get("/v1/suggestions", params={"limit": 50}, headers=headers)
    assert colleague in [s["profile_id"] for s in plain.json()]
    applied = await client.get(
        "/v1/suggestions/filters",
        params={"exclude_own_department": "true", "min_grade": "SCS1"},
        headers=headers,
    )
    assert [f["applied"] for f in applied.json()["suggested_filters"]] == [True, True, True]
    # Someone whose goals state no preference is offered none; their own words only.
    mine_only = await client.get("/v1/suggestions/filters", headers=running.tokens.headers(other))
    assert mine_only.json() == {"suggested_filters": []}
    missing = await client.get(
        "/v1/suggestions/filters", headers=running.tokens.headers(pid("nobody"))
    )
    assert missing.status_code == 409
    assert missing.json()["error"]["code"] == "profile_not_indexed"
    search = await client.post(
        "/v1/search/filters",
        json={"text": f"{goal}, ideally someone in Glasgow", "filters": {"region": "london"}},
        headers=headers,
    )
    assert search.status_code == 200, search.text
    assert [
        (f["filter"], f["value"], f["applied"]) for f in search.json()["suggested_filters"]
    ] == [("region", "scotland", False)]
    bad = await client.post("/v1/search/filters", json={"text": ""}, headers=headers)
    assert bad.status_code == 422
    assert "error" in bad.json()


async def test_suggestions_without_an_indexed_profile_answer_409(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    response = await client.get("/v1/suggestions", headers=running.tokens.headers(pid("nobody")))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "profile_not_indexed"


async def test_request_rules_over_http(running: RunningServer, client: httpx.AsyncClient) -> None:
    me = pid("mentee")
    mentors = [pid("mentor") for _ in range(4)]
    await indexed(running, client, mentee(me), *(upserted(m) for m in mentors))
    headers = running.tokens.headers(me)
    for mentor_id in mentors[:3]:
        created = await client.post(
            "/v1/matches", json={"mentor_id": mentor_id, "message": "Hi"}, headers=headers
        )
        assert created.status_code == 201, created.text
        assert created.json()["status"] == "requested"
    fourth = await client.post(
        "/v1/matches", json={"mentor_id": mentors[3], "message": "Hi"}, headers=headers
    )
    assert fourth.status_code == 409
    assert fourth.json()["error"]["code"] == "too_many_open_requests"
    unknown = await client.post("/v1/matches", json={"mentor_id": "nobody"}, headers=headers)
    assert unknown.status_code == 404
    myself = await client.post("/v1/matches", json={"mentor_id": me}, headers=headers)
    assert myself.status_code == 422
    listed = (await client.get("/v1/matches", headers=headers)).json()
    assert len(listed) == 3
    assert listed[0]["other"]["display_name"] == "Alex Example"
    # Someone else's match is not revealed; the mentee accepting gets 403.
    match_id = listed[0]["id"]
    stranger = await client.post(
        f"/v1/matches/{match_id}/accept", headers=running.tokens.headers("stranger")
    )
    assert stranger.status_code == 404
    wrong = await client.post(f"/v1/matches/{match_id}/accept", headers=headers)
    assert wrong.status_code == 403


async def test_twenty_simultaneous_accepts_give_exactly_capacity_matches(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentor_id = pid("mentor")
    mentees = [pid("mentee") for _ in range(20)]
    await indexed(running, client, upserted(mentor_id, capacity=2), *(mentee(m) for m in mentees))
    match_ids = []
    for mentee_id in mentees:
        created = await client.post(
            "/v1/matches",
            json={"mentor_id": mentor_id, "message": "Hi"},
            headers=running.tokens.headers(mentee_id),
        )
        assert created.status_code == 201, created.text
        match_ids.append(created.json()["id"])
    headers = running.tokens.headers(mentor_id)
    answers = await asyncio.gather(
        *(client.post(f"/v1/matches/{m}/accept", headers=headers) for m in match_ids)
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes.count(200) == 2
    assert codes.count(409) == 18
    assert all(a.json()["error"]["code"] == "no_capacity" for a in answers if a.status_code == 409)


async def test_accept_withdraws_other_requests_and_events_reach_the_broker(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, first, second = pid("mentee"), pid("mentor"), pid("mentor")
    await indexed(running, client, mentee(me), upserted(first), upserted(second))
    headers = running.tokens.headers(me)
    one = (await client.post("/v1/matches", json={"mentor_id": first}, headers=headers)).json()
    two = (await client.post("/v1/matches", json={"mentor_id": second}, headers=headers)).json()
    accepted = await client.post(
        f"/v1/matches/{one['id']}/accept", headers=running.tokens.headers(first)
    )
    assert accepted.json()["status"] == "accepted"
    statuses = {m["id"]: m for m in (await client.get("/v1/matches", headers=headers)).json()}
    assert statuses[two["id"]]["status"] == "withdrawn"
    assert statuses[two["id"]]["reason"] == "another_accepted"
    ended = await client.post(f"/v1/matches/{one['id']}/end", json={"rating": 5}, headers=headers)
    assert ended.json()["status"] == "ended"

    consumer = AIOKafkaConsumer(
        "match",
        bootstrap_servers=running.settings.kafka_bootstrap_servers,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        group_id=None,
    )
    await consumer.start()
    wanted = {
        (one["id"], "match.requested"),
        (two["id"], "match.requested"),
        (one["id"], "match.accepted"),
        (two["id"], "match.withdrawn"),
        (one["id"], "match.ended"),
    }
    seen: set[tuple[str, str]] = set()
    try:
        async with asyncio.timeout(20):
            while not wanted <= seen:
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        event = json.loads(record.value)
                        seen.add((event["subject"], event["type"]))
    finally:
        await consumer.stop()
    assert wanted <= seen

    stats = await client.get(
        "/v1/admin/stats/matching", headers=running.tokens.headers(ADMIN, admin=True)
    )
    assert stats.status_code == 200
    assert stats.json()["feedback"]["count"] >= 1
    forbidden = await client.get("/v1/admin/stats/matching", headers=headers)
    assert forbidden.status_code == 403


async def test_admin_rebuild_and_cohorts(running: RunningServer, client: httpx.AsyncClient) -> None:
    goal = f"estates management {uuid.uuid4().hex[:6]}"
    mentor_id, a, b = pid("mentor"), pid("mentee"), pid("mentee")
    await indexed(
        running,
        client,
        upserted(mentor_id, capacity=1, expertise_text=goal),
        mentee(a, goals_text=goal),
        mentee(b, goals_text=goal),
    )
    admin = running.tokens.headers(ADMIN, admin=True)
    before = (await client.get("/v1/index/status", headers=admin)).json()
    rebuilt = await client.post("/v1/admin/index/rebuild", headers=admin)
    assert rebuilt.status_code == 200
    assert rebuilt.json()["profiles"] == before["profiles"]
    plan = await client.post(
        "/v1/admin/cohorts",
        json={"mentee_ids": [a, b], "mentor_ids": [mentor_id], "create_requests": True},
        headers=admin,
    )
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert len(body["assignments"]) == 1
    assert body["assignments"][0]["match_id"]
    assert len(body["unassigned"]) == 1


async def test_an_anonymous_mentee_shows_initials_until_they_send_a_request(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    goal = f"procurement law {uuid.uuid4().hex[:6]}"
    shy, mentor_id = pid("mentee"), pid("mentor")
    await indexed(
        running,
        client,
        mentee(shy, goals_text=goal, anonymous=True, display_name="Sam Shy", initials="SS"),
        upserted(mentor_id, grade="G6", expertise_text=goal),
    )
    mentor_headers = running.tokens.headers(mentor_id)
    found = await client.get(
        "/v1/suggestions", params={"role": "mentee", "limit": 50}, headers=mentor_headers
    )
    assert found.status_code == 200, found.text
    card = next(s for s in found.json() if s["profile_id"] == shy)["card"]
    assert card["display_name"] == "S. S."
    created = await client.post(
        "/v1/matches", json={"mentor_id": mentor_id}, headers=running.tokens.headers(shy)
    )
    assert created.status_code == 201
    [listed] = (await client.get("/v1/matches", headers=mentor_headers)).json()
    assert listed["other"]["display_name"] == "Sam Shy"


async def test_skills_vocabulary_and_suggestions_over_http(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    headers = running.tokens.headers(pid("member"))
    vocabulary = await client.get("/v1/skills", headers=headers)
    assert vocabulary.status_code == 200, vocabulary.text
    body = vocabulary.json()
    assert body["version"] == 1
    assert 150 <= len(body["skills"]) <= 300
    assert {"id": "budgeting", "name": "Budgeting", "group": "finance"} in body["skills"]

    suggested = await client.post(
        "/v1/skills/suggest",
        json={"text": "I manage budgets and difficult stakeholders.", "side": "offered"},
        headers=headers,
    )
    assert suggested.status_code == 200, suggested.text
    assert {"id": "budgeting", "name": "Budgeting"} in suggested.json()
    assert "stakeholder-management" in {skill["id"] for skill in suggested.json()}

    assert (await client.get("/v1/skills")).status_code == 401
    for bad in ({"text": "", "side": "offered"}, {"text": "budgets", "side": "both"}):
        refused = await client.post("/v1/skills/suggest", json=bad, headers=headers)
        assert refused.status_code == 422
        assert set(refused.json()["error"]) == {"code", "message", "details"}


async def test_confirmed_skills_count_and_are_named_in_the_reasons(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    goal = f"moving into a new area {uuid.uuid4().hex[:6]}"
    me, with_skill, without = pid("mentee"), pid("mentor"), pid("mentor")
    await indexed(
        running,
        client,
        mentee(me, goals_text=goal, skills_sought=["workforce-planning"]),
        upserted(with_skill, expertise_text=goal, skills_offered=["workforce-planning"]),
        upserted(without, expertise_text=goal),
    )
    response = await client.get(
        "/v1/suggestions",
        params={"role": "mentor", "limit": 50},
        headers=running.tokens.headers(me),
    )
    assert response.status_code == 200, response.text
    found = {s["profile_id"]: s for s in response.json()}
    reason = "Can help with workforce planning, which you want to develop"
    assert reason in found[with_skill]["reasons"]
    assert reason not in found[without]["reasons"]
    assert found[with_skill]["score"] > found[without]["score"]
