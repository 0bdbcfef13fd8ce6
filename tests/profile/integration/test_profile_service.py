"""The profile service over HTTP on SQLite and the real embedded broker."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import openpyxl
import pytest

from mentor_shared.events.schemas import MatchAccepted, MatchEnded
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish
from profile_service.domain.profiles import pause_limit
from tests.profile.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    PASSWORD,
    EventReader,
    bearer,
    register_verified,
    sign_in,
    token_of,
)

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]


def unique_email(name: str) -> str:
    return f"{name}.{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"


async def poll_status(
    client: httpx.AsyncClient, url: str, token: str, expected: int, timeout: float = 20.0
) -> httpx.Response:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        response = await client.get(url, headers=bearer(token))
        if response.status_code == expected or asyncio.get_running_loop().time() > deadline:
            return response
        await asyncio.sleep(0.1)


async def test_sign_up_to_profile_update_publishes_versioned_event_without_contact(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("ada")
    account_id, token = await register_verified(client, reader, email, "Ada Lovelace")
    registered = reader.matching(
        lambda e: e.type == "account.registered" and e.subject == account_id
    )
    assert registered
    assert registered[0].data["email"] == email

    response = await client.put(
        "/v1/profiles/me",
        headers=bearer(token),
        json={
            "department": "co",
            "grade": "G7",
            "roles": {"mentor": True},
            "capacity": 2,
            "expertise": ["Policy design"],
            "contact": {"email": email, "phone": "07700 900123"},
        },
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["version"] == 2
    assert profile["contact"] == {"email": email, "phone": "+447700900123"}

    event = await reader.wait_for(
        lambda e: (
            e.type == "profile.upserted"
            and e.subject == account_id
            and e.data["version"] == profile["version"]
        )
    )
    assert event.data["department"] == "co"
    assert "contact" not in event.data
    raw = [r for r in reader.raw if account_id.encode() in r and b"profile.upserted" in r]
    assert raw
    assert all(email.encode() not in r and b"7700900123" not in r for r in raw)

    unchanged = await client.put(
        "/v1/profiles/me", headers=bearer(token), json={"department": "co"}
    )
    assert unchanged.json()["version"] == 2
    await asyncio.sleep(0.5)
    versions = [
        e.data["version"]
        for e in reader.matching(lambda e: e.type == "profile.upserted" and e.subject == account_id)
    ]
    assert versions == [1, 2]


async def test_a_pause_is_set_within_six_months_carried_in_the_event_and_ended_with_null(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    account_id, token = await register_verified(client, reader, unique_email("pa"), "Pat Pause")
    today = datetime.now(UTC).date()
    for bad in [(today - timedelta(days=1)).isoformat(), pause_limit(today) + timedelta(days=1)]:
        refused = await client.put(
            "/v1/profiles/me", headers=bearer(token), json={"paused_until": str(bad)}
        )
        assert refused.status_code == 422, bad
        assert refused.json()["error"]["code"] == "validation_error"
        assert "paused_until" in json.dumps(refused.json()["error"]["details"])
    until = (today + timedelta(days=30)).isoformat()
    paused = await client.put(
        "/v1/profiles/me", headers=bearer(token), json={"paused_until": until}
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["paused_until"] == until
    event = await reader.wait_for(
        lambda e: (
            e.type == "profile.upserted"
            and e.subject == account_id
            and e.data["version"] == paused.json()["version"]
        )
    )
    assert event.data["paused_until"] == until
    ended = await client.put("/v1/profiles/me", headers=bearer(token), json={"paused_until": None})
    assert ended.json()["paused_until"] is None
    assert ended.json()["version"] == paused.json()["version"] + 1


async def test_unknown_profile_fields_are_refused(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    _, token = await register_verified(client, reader, unique_email("bo"), "Bo Diddley")
    response = await client.put("/v1/profiles/me", headers=bearer(token), json={"is_admin": True})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_contact_is_shared_only_during_an_accepted_match(
    client: httpx.AsyncClient, reader: EventReader, embedded_broker: EmbeddedBroker
) -> None:
    mentee_id, mentee_token = await register_verified(
        client, reader, unique_email("mentee"), "Mia Mentee"
    )
    mentor_email = unique_email("mentor")
    mentor_id, _ = await register_verified(client, reader, mentor_email, "Max Mentor")
    url = f"/v1/profiles/{mentor_id}/contact"

    before = await client.get(url, headers=bearer(mentee_token))
    assert before.status_code == 403
    assert before.json()["error"]["code"] == "contact_not_shared"

    match_id = str(uuid.uuid4())
    people = {"match_id": match_id, "mentee_id": mentee_id, "mentor_id": mentor_id}
    await publish(
        embedded_broker.bootstrap_servers,
        MatchAccepted(**people),
        subject=match_id,
        source="matching",
    )
    during = await poll_status(client, url, mentee_token, 200)
    assert during.status_code == 200, during.text
    assert during.json()["email"] == mentor_email

    await publish(
        embedded_broker.bootstrap_servers,
        MatchEnded(**people, ended_by=mentee_id),
        subject=match_id,
        source="matching",
    )
    after = await poll_status(client, url, mentee_token, 403)
    assert after.status_code == 403


async def test_erasure_publishes_profile_deleted_and_leaves_nothing(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("erase")
    account_id, token = await register_verified(client, reader, email, "Eve Erased")
    export = await client.get("/v1/profiles/me/export", headers=bearer(token))
    assert export.status_code == 200
    assert export.json()["account"]["email"] == email
    assert "password_hash" not in export.text

    deleted = await client.request(
        "DELETE", "/v1/profiles/me", headers=bearer(token), json={"password": PASSWORD}
    )
    assert deleted.status_code == 204
    await reader.wait_for(lambda e: e.type == "profile.deleted" and e.subject == account_id)
    # The erased id is on the deny-list: their still-valid token is refused outright.
    for path in ("/v1/profiles/me", "/v1/profiles/me/export", "/v1/me/export"):
        refused = await client.get(path, headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "token_revoked"
    assert (await sign_in(client, email)).status_code == 401


async def test_administrator_erases_a_person_on_request(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("asked")
    account_id, token = await register_verified(client, reader, email, "Ash Asked")
    admin = (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).json()["access_token"]
    erased = await client.delete(
        "/v1/admin/accounts", params={"email": email.upper()}, headers=bearer(admin)
    )
    assert erased.status_code == 200
    assert erased.json() == {"erased": account_id}
    await reader.wait_for(lambda e: e.type == "profile.deleted" and e.subject == account_id)
    refused = await client.get("/v1/profiles/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    again = await client.delete(
        "/v1/admin/accounts", params={"email": email}, headers=bearer(admin)
    )
    assert again.status_code == 404


async def test_ten_wrong_passwords_lock_the_address_with_retry_after(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("locked")
    await register_verified(client, reader, email, "Lou Locked")
    for _ in range(10):
        assert (await sign_in(client, email, "wrong password entirely")).status_code == 401
    locked = await sign_in(client, email)
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    assert locked.json()["error"]["code"] == "too_many_sign_in_attempts"


async def test_unknown_address_and_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("same")
    await register_verified(client, reader, email, "Sam Same")
    wrong = await sign_in(client, email, "not the password at all")
    unknown = await sign_in(client, unique_email("nobody"))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_registering_a_taken_address_looks_like_a_new_registration(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("twice")
    account_id, _ = await register_verified(client, reader, email, "Tim Twice")
    again = await client.post(
        "/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": "Impostor"}
    )
    fresh = await client.post(
        "/v1/accounts",
        json={"email": unique_email("new"), "password": PASSWORD, "display_name": "New Person"},
    )
    assert again.status_code == fresh.status_code == 201
    assert again.json() == fresh.json()
    await asyncio.sleep(0.5)
    requests = reader.matching(
        lambda e: e.type == "account.verification_requested" and e.subject == account_id
    )
    assert len(requests) == 1


async def test_refresh_rotates_and_a_reused_token_ends_the_session(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("rotate")
    await register_verified(client, reader, email, "Rosa Rotate")
    first = (await sign_in(client, email)).json()
    second = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    reused = await client.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    latest = await client.post(
        "/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
    )
    assert latest.status_code == 401


async def test_password_reset_never_reveals_the_account_and_works_by_email(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("reset")
    account_id, _ = await register_verified(client, reader, email, "Rita Reset")
    known = await client.post("/v1/accounts/password-reset", json={"email": email})
    unknown = await client.post(
        "/v1/accounts/password-reset", json={"email": unique_email("ghost")}
    )
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    event = await reader.wait_for(
        lambda e: e.type == "account.password_reset_requested" and e.subject == account_id
    )
    # Sealed: neither the token nor a link holding it is on the broker in clear.
    assert "token" not in event.data
    assert "link" not in event.data
    new_password = "violet harbour pencil drum"
    done = await client.post(
        "/v1/accounts/password-reset/confirm",
        json={"token": token_of(event), "password": new_password},
    )
    assert done.status_code == 204
    again = await client.post(
        "/v1/accounts/password-reset/confirm",
        json={"token": token_of(event), "password": new_password},
    )
    assert again.status_code == 422
    assert (await sign_in(client, email, new_password)).status_code == 200
    assert (await sign_in(client, email)).status_code == 401


async def test_coach_import_dry_run_reports_lines_and_real_run_is_idempotent(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    admin = (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).json()["access_token"]
    coach = unique_email("coach")
    csv = (
        "name,email,department,profession,grade,region,expertise,approach,capacity\n"
        f"Cora Coach,{coach},co,policy,G6,london,Leadership;Resilience,Solution focused,3\n"
        "Bad Row,someone@gmail.com,co,policy,G6,london,Leadership,x,3\n"
    )
    files = {"file": ("coaches.csv", csv.encode(), "text/csv")}
    dry = await client.post(
        "/v1/admin/import", params={"dry_run": "true"}, files=files, headers=bearer(admin)
    )
    assert dry.status_code == 200, dry.text
    assert [error["line"] for error in dry.json()["errors"]] == [3]
    refused = await client.post("/v1/admin/import", files=files, headers=bearer(admin))
    assert refused.status_code == 422

    good = {"file": ("coaches.csv", "\n".join(csv.splitlines()[:2]).encode(), "text/csv")}
    first = await client.post("/v1/admin/import", files=good, headers=bearer(admin))
    assert first.status_code == 200, first.text
    assert (first.json()["created"], first.json()["invitations"]) == (1, 1)
    second = await client.post("/v1/admin/import", files=good, headers=bearer(admin))
    assert (second.json()["created"], second.json()["unchanged"]) == (0, 1)
    assert second.json()["invitations"] == 0

    # The import emails nobody; the administrator sends its invitations.
    sent = await client.post(
        f"/v1/admin/imports/{first.json()['import_id']}/invitations", headers=bearer(admin)
    )
    assert sent.status_code == 202, sent.text
    claim = await reader.wait_for(
        lambda e: e.type == "account.claim_requested" and e.data["email"] == coach
    )
    await reader.wait_for(
        lambda e: e.type == "profile.upserted" and e.subject == claim.data["account_id"]
    )
    claimed = await client.post(
        "/v1/accounts/claim", json={"token": token_of(claim), "password": PASSWORD}
    )
    assert claimed.status_code == 204
    signed_in = await sign_in(client, coach)
    assert signed_in.status_code == 200
    me = await client.get("/v1/profiles/me", headers=bearer(signed_in.json()["access_token"]))
    assert me.json()["roles"]["coach"] is True


def coach_workbook(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Email", "Department", "Profession", "Grade", "Region",
                  "Expertise", "Approach", "Capacity"])  # fmt: skip
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_coach_import_reads_an_excel_workbook_and_refuses_a_broken_one(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    admin = (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).json()["access_token"]
    coach = unique_email("xlsxcoach")
    good_row: list[object] = [
        "Xena Coach",
        coach,
        "co",
        "policy",
        "G6",
        "london",
        "Leadership",
        "Listening",
        2,
    ]
    bad_row: list[object] = ["Bad Row", "someone@gmail.com", "co", "policy", "G6", "", "", "", 2]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    mixed = {"file": ("coaches.xlsx", coach_workbook(good_row, bad_row), xlsx)}
    dry = await client.post(
        "/v1/admin/import", params={"dry_run": "true"}, files=mixed, headers=bearer(admin)
    )
    assert dry.status_code == 200, dry.text
    assert (dry.json()["valid"], [e["line"] for e in dry.json()["errors"]]) == (1, [3])
    refused = await client.post("/v1/admin/import", files=mixed, headers=bearer(admin))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["invalid"] == 1

    good = {"file": ("coaches.xlsx", coach_workbook(good_row), xlsx)}
    first = await client.post("/v1/admin/import", files=good, headers=bearer(admin))
    assert first.status_code == 200, first.text
    assert first.json()["created"] == 1
    second = await client.post("/v1/admin/import", files=good, headers=bearer(admin))
    assert (second.json()["created"], second.json()["unchanged"]) == (0, 1)
    await reader.wait_for(
        lambda e: e.type == "profile.upserted" and e.data["display_name"] == "Xena Coach"
    )

    broken = {"file": ("coaches.xlsx", coach_workbook(good_row)[:-200], xlsx)}
    bad = await client.post(
        "/v1/admin/import", params={"dry_run": "true"}, files=broken, headers=bearer(admin)
    )
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["code"] == "import_file_invalid"
    assert "workbook" in error["message"]
    assert "Traceback" not in bad.text


async def test_directory_pages_by_cursor_and_hides_anonymous_people_from_name_search(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    tag = uuid.uuid4().hex[:6]
    tokens = []
    for index in range(3):
        _, token = await register_verified(
            client, reader, unique_email(f"dir{index}"), f"Zed{tag} Person{index}"
        )
        tokens.append(token)
    await client.put("/v1/profiles/me", headers=bearer(tokens[2]), json={"anonymous": True})
    found = await client.get(
        "/v1/profiles", params={"q": f"zed{tag}", "limit": 1}, headers=bearer(tokens[0])
    )
    body = found.json()
    assert len(body["items"]) == 1
    assert body["next_cursor"]
    rest = await client.get(
        "/v1/profiles",
        params={"q": f"ZED{tag}", "limit": 1, "cursor": body["next_cursor"]},
        headers=bearer(tokens[0]),
    )
    names = [body["items"][0]["display_name"], rest.json()["items"][0]["display_name"]]
    assert names == [f"Zed{tag} Person0", f"Zed{tag} Person1"]
    assert rest.json()["next_cursor"] is None
    bad = await client.get("/v1/profiles", params={"cursor": "nonsense"}, headers=bearer(tokens[0]))
    assert bad.status_code == 422


def decoded(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


async def test_the_directory_cursor_carries_no_name_and_a_tampered_one_is_refused(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    tag = uuid.uuid4().hex[:6]
    tokens = []
    for index in range(2):
        _, token = await register_verified(
            client, reader, unique_email(f"cur{index}"), f"Quill{tag} Person{index}"
        )
        tokens.append(token)
    await client.put("/v1/profiles/me", headers=bearer(tokens[0]), json={"anonymous": True})
    cursor = None
    seen: list[str] = []
    for _ in range(200):  # the whole directory, one person a page
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = await client.get("/v1/profiles", params=params, headers=bearer(tokens[1]))
        assert page.status_code == 200, page.text
        cursor = page.json()["next_cursor"]
        seen += [item["id"] for item in page.json()["items"]]
        if cursor is None:
            break
        assert f"quill{tag}".encode() not in decoded(cursor).lower()
        assert b"person" not in decoded(cursor).lower()
    assert len(seen) == len(set(seen)) > 2

    first = await client.get("/v1/profiles", params={"limit": 1}, headers=bearer(tokens[1]))
    good = first.json()["next_cursor"]
    tampered = good[:10] + ("A" if good[10] != "A" else "B") + good[11:]
    forged = base64.urlsafe_b64encode(f'["quill{tag}","0"]'.encode()).decode()
    for bad in (tampered, forged):
        refused = await client.get(
            "/v1/profiles", params={"cursor": bad}, headers=bearer(tokens[1])
        )
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "invalid_cursor"
        assert set(refused.json()["error"]) == {"code", "message", "details"}


async def test_an_unconfirmed_registrant_is_neither_listed_nor_found(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    email = unique_email("nobody")
    name = f"Permanent Secretary {uuid.uuid4().hex[:6]} call 020 7946 0000"
    registered = await client.post(
        "/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert registered.status_code == 201
    pending = await reader.wait_for(
        lambda e: e.type == "account.registered" and e.data["email"] == email
    )
    _, viewer = await register_verified(client, reader, unique_email("viewer"), "Val Viewer")
    admin = (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).json()["access_token"]

    for token in (viewer, admin):
        listed = await client.get("/v1/profiles", params={"q": name[:30]}, headers=bearer(token))
        assert listed.json()["items"] == []
        found = await client.get(f"/v1/profiles/{pending.subject}", headers=bearer(token))
        assert found.status_code == 404
        assert found.json()["error"]["code"] == "profile_not_found"
    await asyncio.sleep(0.5)
    assert not reader.matching(
        lambda e: e.type == "profile.upserted" and e.subject == pending.subject
    )


async def test_erasure_is_followed_by_tombstones_on_the_profile_and_account_topics(
    client: httpx.AsyncClient, reader: EventReader
) -> None:
    account_id, token = await register_verified(
        client, reader, unique_email("tomb"), "Tam Tombstone"
    )
    deleted = await client.request(
        "DELETE", "/v1/profiles/me", headers=bearer(token), json={"password": PASSWORD}
    )
    assert deleted.status_code == 204
    await reader.wait_for(lambda e: e.type == "profile.deleted" and e.subject == account_id)
    await reader.wait_for_tombstone("profile", account_id)
    await reader.wait_for_tombstone("account", account_id)


async def test_match_events_naming_an_erased_person_create_no_grant(
    client: httpx.AsyncClient, reader: EventReader, embedded_broker: EmbeddedBroker
) -> None:
    mentee_id, mentee_token = await register_verified(
        client, reader, unique_email("gone"), "Gil Gone"
    )
    mentor_id, mentor_token = await register_verified(
        client, reader, unique_email("stays"), "Sam Stays"
    )
    deleted = await client.request(
        "DELETE", "/v1/profiles/me", headers=bearer(mentee_token), json={"password": PASSWORD}
    )
    assert deleted.status_code == 204
    await reader.wait_for(lambda e: e.type == "profile.deleted" and e.subject == mentee_id)

    match_id = str(uuid.uuid4())
    people = {"match_id": match_id, "mentee_id": mentee_id, "mentor_id": mentor_id}
    await publish(
        embedded_broker.bootstrap_servers,
        MatchAccepted(**people),
        MatchEnded(**people, ended_by=mentor_id),
        subject=match_id,
        source="matching",
    )
    # A later event on the same partition shows the two were consumed before it.
    control = str(uuid.uuid4())
    other = {"match_id": control, "mentee_id": str(uuid.uuid4()), "mentor_id": mentor_id}
    await publish(
        embedded_broker.bootstrap_servers,
        MatchAccepted(**other),
        subject=match_id,
        source="matching",
    )
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        export = (await client.get("/v1/me/export", headers=bearer(mentor_token))).json()
        grants = {grant["match_id"] for grant in export["contact_grants"]}
        if control in grants or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    assert control in grants
    assert match_id not in grants
    assert mentee_id not in json.dumps(export)
