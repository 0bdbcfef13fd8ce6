"""Abuse limit, re-request wait, anonymity, erasure and export over HTTP.

A real uvicorn server on the real embedded broker, as the other integration tests.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mentor_shared.events.schemas import ProfileDeleted, ProfileUpserted
from mentor_shared.limits import key_digest
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
DAILY = 3


@pytest.fixture(scope="module")
def running(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    settings = matching_settings(
        embedded_broker.bootstrap_servers,
        tmp_path_factory.mktemp("matching-privacy"),
        match_requests_per_day=DAILY,
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
    await publish(running.settings.kafka_bootstrap_servers, *profiles)
    admin = running.tokens.headers(ADMIN, admin=True)
    for profile in profiles:

        async def there(profile: ProfileUpserted = profile) -> bool:
            response = await client.get(
                "/v1/index/status", params={"profile_id": profile.profile_id}, headers=admin
            )
            return bool(response.json()["version"] == profile.version)

        await wait_for(there)


async def ask(
    running: RunningServer, client: httpx.AsyncClient, mentee_id: str, mentor_id: str
) -> httpx.Response:
    return await client.post(
        "/v1/matches",
        json={"mentor_id": mentor_id, "message": "Hello"},
        headers=running.tokens.headers(mentee_id),
    )


async def test_match_requests_past_the_daily_limit_get_429_with_retry_after(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, mentor = pid("mentee"), pid("mentor")
    await indexed(running, client, mentee(me), upserted(mentor))
    answers = [(await ask(running, client, me, mentor)).status_code for _ in range(DAILY)]
    assert answers == [201, 409, 409], "refused attempts count too"
    over = await ask(running, client, me, mentor)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert 0 < int(over.headers["Retry-After"]) <= 86_400
    someone_else = pid("mentee")
    await indexed(running, client, mentee(someone_else))
    assert (await ask(running, client, someone_else, mentor)).status_code == 201


async def test_asking_the_same_mentor_again_after_a_decline_is_refused_with_409(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, mentor = pid("mentee"), pid("mentor")
    await indexed(running, client, mentee(me), upserted(mentor))
    first = await ask(running, client, me, mentor)
    declined = await client.post(
        f"/v1/matches/{first.json()['id']}/decline", headers=running.tokens.headers(mentor)
    )
    assert declined.status_code == 200
    again = await ask(running, client, me, mentor)
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "rerequest_too_soon"
    assert "again from" in error["message"]
    assert error["details"]["allowed_from"] > first.json()["created_at"]


async def search(
    running: RunningServer, client: httpx.AsyncClient, text: str, **filters: Any
) -> dict[str, dict[str, Any]]:
    response = await client.post(
        "/v1/search",
        json={"text": text, "role": "mentor", "filters": filters},
        headers=running.tokens.headers("someone"),
    )
    assert response.status_code == 200, response.text
    return {hit["profile_id"]: hit for hit in response.json()}


async def test_an_anonymous_person_shows_initials_department_and_grade_and_no_region_finds_them(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    topic = f"lighthouse automation {uuid.uuid4().hex[:6]}"
    fields: dict[str, Any] = {
        "expertise_text": f"I can help with {topic}.",
        "region": "WALES",
        "profession": "POLICY",
        "department": "DfT",
        "grade": "G6",
    }
    hidden, shown = pid("hidden"), pid("shown")
    await indexed(
        running,
        client,
        upserted(hidden, display_name="Morwenna Tregarthen", anonymous=True, **fields),
        upserted(shown, display_name="Open Person", **fields),
    )
    found = await search(running, client, topic)
    assert found[hidden]["card"] == {
        "display_name": "M. T.",
        "department": "DfT",
        "profession": None,
        "grade": "G6",
        "region": None,
        "usual_reply_days": None,
        "last_active": None,
    }
    assert found[shown]["card"]["region"] == "WALES"
    assert not any("region" in reason for reason in found[hidden]["reasons"])
    in_wales = await search(running, client, topic, region="WALES")
    assert shown in in_wales
    assert hidden not in in_wales
    asker = pid("mentee")
    await indexed(running, client, mentee(asker, goals_text=f"I want to learn {topic}."))

    async def suggested(**params: Any) -> dict[str, dict[str, Any]]:
        response = await client.get(
            "/v1/suggestions",
            params={"role": "mentor", "limit": 50, "any_grade": True, **params},
            headers=running.tokens.headers(asker),
        )
        assert response.status_code == 200, response.text
        return {s["profile_id"]: s for s in response.json()}

    everywhere = await suggested()
    assert everywhere[hidden]["card"]["display_name"] == "M. T."
    assert everywhere[hidden]["card"]["region"] is None
    wales = await suggested(region="WALES")
    assert shown in wales
    assert hidden not in wales


async def test_the_export_holds_the_callers_profile_and_requests_with_the_other_as_a_card(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, mentor = pid("mentee"), pid("mentor")
    await indexed(
        running,
        client,
        mentee(me, display_name="Ada Exporter"),
        upserted(mentor, display_name="Bea Mentor"),
    )
    match = (await ask(running, client, me, mentor)).json()
    mine = await client.get("/v1/me/export/matching", headers=running.tokens.headers(me))
    assert mine.status_code == 200
    body = mine.json()
    assert body["subject_id"] == me
    assert body["profile"]["display_name"] == "Ada Exporter"
    assert [(m["id"], m["side"], m["message"]) for m in body["matches"]] == [
        (match["id"], "mentee", "Hello")
    ]
    assert body["matches"][0]["other"]["display_name"] == "Bea Mentor"
    assert "contact" not in str(body["matches"][0]["other"])
    theirs = (
        await client.get("/v1/me/export/matching", headers=running.tokens.headers(mentor))
    ).json()
    assert [(m["id"], m["side"]) for m in theirs["matches"]] == [(match["id"], "mentor")]
    assert (await client.get("/v1/me/export/matching")).status_code == 401
    openapi = (await client.get("/openapi.json")).json()
    assert "/v1/me/export/matching" in openapi["paths"]
    assert "429" in openapi["paths"]["/v1/matches"]["post"]["responses"]


def files_holding(data_dir: Path, *needles: str) -> list[str]:
    hits = []
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            hits += [f"{path.name}: {n}" for n in needles if n.encode() in content]
    return hits


async def test_an_erased_person_is_gone_from_store_index_snapshot_and_stays_gone(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    tokens = TokenMaker()
    data_dir = tmp_path / "data"
    settings = matching_settings(
        embedded_broker.bootstrap_servers, data_dir, snapshot_interval_s=3600
    )
    gone, mentor = pid("gone"), pid("mentor")
    name, words, note = (
        "Perpetua Quillfeather",
        f"xylophone tuning {uuid.uuid4().hex[:6]}",
        (f"secret-note-{uuid.uuid4().hex[:8]}"),
    )
    profile = mentee(gone, display_name=name, goals_text=f"I want to learn {words}.")
    with serve_in_thread(settings, tokens) as running:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
            await indexed(
                running, client, profile, upserted(mentor, expertise_text="xylophone tuning")
            )
            match = await client.post(
                "/v1/matches",
                json={"mentor_id": mentor, "message": note},
                headers=tokens.headers(gone),
            )
            assert match.status_code == 201
            accepted = await client.post(
                f"/v1/matches/{match.json()['id']}/accept", headers=tokens.headers(mentor)
            )
            assert accepted.status_code == 200
    # Stopping saves a snapshot: it holds their words until the erasure replaces it.
    assert files_holding(data_dir / "matching", words) != []
    with serve_in_thread(settings, tokens) as running:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
            await publish(settings.kafka_bootstrap_servers, ProfileDeleted(profile_id=gone))

            async def erased() -> bool:
                response = await client.get("/v1/matches", headers=tokens.headers(mentor))
                return response.json() == []

            await wait_for(erased)
            revoked = await client.get("/v1/matches", headers=tokens.headers(gone))
            assert revoked.status_code == 401
            assert revoked.json()["error"]["code"] == "token_revoked"
            # A replay of their profile is ignored (store and index).
            marker = upserted(pid("marker"))
            await publish(settings.kafka_bootstrap_servers, profile, subject=gone)
            await indexed(running, client, marker)
            status = await client.get(
                "/v1/index/status",
                params={"profile_id": gone},
                headers=tokens.headers(ADMIN, admin=True),
            )
            assert status.json()["version"] is None
    database = sqlite3.connect(data_dir / "matching.sqlite3")
    try:
        outbox = [row[0] for row in database.execute("SELECT payload FROM outbox")]
        assert not [p for p in outbox if gone.encode() in bytes(p)], "no event for them"
        assert database.execute("SELECT count(*) FROM matches").fetchone()[0] == 0
        assert database.execute(
            "SELECT count(*) FROM rate_limits WHERE key = ?", (key_digest(gone),)
        ).fetchone() == (0,), "their request counter goes too"
        assert database.execute(
            "SELECT count(*) FROM erased_subjects WHERE subject_id = ?", (gone,)
        ).fetchone() == (1,)
    finally:
        database.close()
    assert files_holding(data_dir, name, words, note) == []
    # After a restart the snapshot and the store agree: they are not brought back.
    with serve_in_thread(settings, tokens) as running:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
            admin = tokens.headers(ADMIN, admin=True)
            rebuilt = await client.post("/v1/admin/index/rebuild", headers=admin)
            assert rebuilt.status_code == 200
            status = await client.get(
                "/v1/index/status", params={"profile_id": gone}, headers=admin
            )
            assert status.json()["version"] is None
    assert files_holding(data_dir, name, words, note) == []


async def test_the_shortlist_is_the_callers_own_and_refuses_bad_ids_in_the_error_shape(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, other, mentor = pid("mentee"), pid("mentee"), pid("mentor")
    until = (datetime.now(UTC).date() + timedelta(days=20)).isoformat()
    await indexed(
        running,
        client,
        mentee(me, display_name="Sam Saver"),
        mentee(other),
        upserted(mentor, display_name="Pia Paused", paused_until=until),
    )
    mine, theirs = running.tokens.headers(me), running.tokens.headers(other)
    admin = running.tokens.headers(ADMIN, admin=True)
    saved = await client.put(f"/v1/shortlist/{mentor}", headers=mine)
    assert saved.status_code == 200, saved.text
    assert saved.json()["card"]["display_name"] == "Pia Paused"
    assert (saved.json()["taking_requests"], saved.json()["paused_until"]) == (False, until)
    assert [s["profile_id"] for s in (await client.get("/v1/shortlist", headers=mine)).json()] == [
        mentor
    ]
    # Another member and an administrator see their own (empty) lists, never the member's.
    assert (await client.get("/v1/shortlist", headers=theirs)).json() == []
    assert (await client.get("/v1/shortlist", headers=admin)).json() == []
    gone = await client.delete(f"/v1/shortlist/{mentor}", headers=theirs)
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_saved")
    assert (await client.get("/v1/shortlist")).status_code == 401
    for target, status, code in [
        (me, 422, "cannot_save_self"),
        (pid("nobody"), 404, "profile_not_found"),
    ]:
        refused = await client.put(f"/v1/shortlist/{target}", headers=mine)
        assert refused.status_code == status
        assert refused.json()["error"]["code"] == code
        assert set(refused.json()["error"]) == {"code", "message", "details"}
    exported = (await client.get("/v1/me/export/matching", headers=mine)).json()
    assert [s["profile_id"] for s in exported["shortlist"]] == [mentor]
    assert exported["last_active"] == datetime.now(UTC).strftime("%Y-%m")
    asked = await ask(running, client, me, mentor)
    assert asked.status_code == 409
    assert asked.json()["error"]["code"] == "mentor_paused"
    assert asked.json()["error"]["details"] == {"paused_until": until}
    removed = await client.delete(f"/v1/shortlist/{mentor}", headers=mine)
    assert removed.status_code == 204
    assert (await client.get("/v1/shortlist", headers=mine)).json() == []


async def test_a_mentor_declines_every_waiting_request_at_once_and_mentees_cannot(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    first, second, mentor = pid("mentee"), pid("mentee"), pid("mentor")
    await indexed(running, client, mentee(first), mentee(second), upserted(mentor))
    asked = [(await ask(running, client, m, mentor)).json()["id"] for m in (first, second)]
    refused = await client.post(
        "/v1/matches/decline-open", json={}, headers=running.tokens.headers(first)
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_a_mentor")
    bad = await client.post(
        "/v1/matches/decline-open",
        json={"message": "x" * 1001},
        headers=running.tokens.headers(mentor),
    )
    assert bad.status_code == 422
    declined = await client.post(
        "/v1/matches/decline-open",
        json={"message": "I am taking a break; please ask someone else"},
        headers=running.tokens.headers(mentor),
    )
    assert declined.status_code == 200, declined.text
    assert sorted(m["id"] for m in declined.json()) == sorted(asked)
    assert {m["reason"] for m in declined.json()} == {
        "I am taking a break; please ask someone else"
    }
    seen = (await client.get("/v1/matches", headers=running.tokens.headers(first))).json()
    assert [m["status"] for m in seen] == ["declined"]


async def test_only_administrators_download_the_match_report_as_csv(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    me, mentor = pid("mentee"), pid("mentor")
    await indexed(running, client, mentee(me), upserted(mentor))
    assert (await ask(running, client, me, mentor)).status_code == 201
    path = "/v1/admin/reports/matches.csv"
    assert (await client.get(path)).status_code == 401
    for person in (me, mentor):
        refused = await client.get(path, headers=running.tokens.headers(person))
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_required")
    report = await client.get(path, headers=running.tokens.headers(ADMIN, admin=True))
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    lines = report.text.splitlines()
    assert lines[0].startswith("month,department,profession,grade_band,requests,")
    assert me not in report.text
    assert mentor not in report.text
    counts = [cell for line in lines[1:] for cell in line.split(",")[4:9]]
    assert counts
    assert all(cell in ("<5", "0") or int(cell) >= 5 for cell in counts), counts


async def test_one_persons_card_carries_responsiveness_under_the_anonymity_rule(
    running: RunningServer, client: httpx.AsyncClient
) -> None:
    mentor, hidden, viewer = pid("mentor"), pid("hidden"), pid("mentee")
    askers = [pid("mentee") for _ in range(3)]
    await indexed(
        running,
        client,
        upserted(mentor, display_name="Rhian Replies", region="WALES"),
        upserted(hidden, display_name="Morwenna Tregarthen", anonymous=True, region="WALES"),
        mentee(viewer),
        *(mentee(asker) for asker in askers),
    )
    for asker in askers:
        asked = await ask(running, client, asker, mentor)
        declined = await client.post(
            f"/v1/matches/{asked.json()['id']}/decline", headers=running.tokens.headers(mentor)
        )
        assert declined.status_code == 200
    month = datetime.now(UTC).strftime("%Y-%m")
    admin = running.tokens.headers(ADMIN, admin=True)
    for headers in (running.tokens.headers(viewer), running.tokens.headers(mentor), admin):
        card = await client.get(f"/v1/cards/{mentor}", headers=headers)
        assert card.status_code == 200, card.text
        assert card.json()["display_name"] == "Rhian Replies"
        assert (card.json()["usual_reply_days"], card.json()["last_active"]) == (1, month)
    # Others see an anonymous person's card as suggestions do: no responsiveness.
    for headers in (running.tokens.headers(viewer), admin):
        assert (await client.get(f"/v1/cards/{hidden}", headers=headers)).json() == {
            "display_name": "M. T.",
            "department": "HMRC",
            "profession": None,
            "grade": "G7",
            "region": None,
            "usual_reply_days": None,
            "last_active": None,
        }
    own = (await client.get(f"/v1/cards/{hidden}", headers=running.tokens.headers(hidden))).json()
    assert (own["display_name"], own["region"], own["last_active"]) == (
        "Morwenna Tregarthen",
        "WALES",
        month,
    )
    assert (await client.get(f"/v1/cards/{mentor}")).status_code == 401
    unknown = await client.get(f"/v1/cards/{pid('nobody')}", headers=admin)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "profile_not_found")
    # An erased person's card is gone like an unknown id.
    await publish(running.settings.kafka_bootstrap_servers, ProfileDeleted(profile_id=mentor))

    async def erased() -> bool:
        response = await client.get(f"/v1/cards/{mentor}", headers=admin)
        return response.status_code == 404

    await wait_for(erased)
