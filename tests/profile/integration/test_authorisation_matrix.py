"""Who may call what: every endpoint against six kinds of caller, table-driven."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mentor_shared.events.schemas import MatchAccepted, MatchRequested
from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish
from tests.profile.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    EventReader,
    bearer,
    register_verified,
    sign_in,
)

pytestmark = [pytest.mark.broker, pytest.mark.asyncio(loop_scope="module")]

ACTORS = ("anonymous", "owner", "member", "matched", "pending", "admin")
MEMBER = {a: 200 for a in ACTORS} | {"anonymous": 401}
ADMIN_ONLY = {a: 403 for a in ACTORS} | {"anonymous": 401, "admin": 200}
EVERYONE = {a: 200 for a in ACTORS}

COACH_CSV = (
    "name,email,department,profession,grade,region,expertise,approach,capacity\n"
    "Cy Coach,cy.coach@cabinetoffice.gov.uk,co,policy,G6,london,Leadership,Listening,2\n"
)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    expected: dict[str, int]
    kwargs: Any = None


def cases() -> list[Case]:
    return [
        Case("GET", "/v1/profiles/me", MEMBER),
        Case("PUT", "/v1/profiles/me", MEMBER, {"json": {}}),
        Case("GET", "/v1/profiles/me/export", MEMBER),
        Case("GET", "/v1/me/export", MEMBER),
        Case(
            "POST",
            "/v1/profiles/me/import/linkedin",
            MEMBER,
            {"files": {"files": ("Skills.csv", b"Name\nPublic speaking\n", "text/csv")}},
        ),
        Case("GET", "/v1/profiles", MEMBER),
        Case("GET", "/v1/profiles/{subject}", MEMBER),
        Case(
            "GET",
            "/v1/profiles/{subject}/contact",
            {
                "anonymous": 401,
                "owner": 200,
                "member": 403,
                "matched": 200,
                "pending": 403,
                "admin": 403,
            },
        ),
        Case(
            "POST",
            "/v1/accounts/me/password",
            MEMBER | {a: 422 for a in ACTORS if a != "anonymous"},
            {"json": {"current_password": "not it at all", "new_password": "x" * 20}},
        ),
        Case(
            "DELETE",
            "/v1/profiles/me",
            {a: 403 for a in ACTORS} | {"anonymous": 401},
            {"json": {"password": "not the password at all"}},
        ),
        Case("GET", "/v1/reference", EVERYONE),
        Case("GET", "/.well-known/jwks.json", EVERYONE),
        Case(
            "POST", "/v1/auth/refresh", {a: 401 for a in ACTORS}, {"json": {"refresh_token": "x"}}
        ),
        Case("POST", "/v1/auth/logout", {a: 204 for a in ACTORS}, {"json": {"refresh_token": "x"}}),
        Case("POST", "/v1/accounts/verify", {a: 422 for a in ACTORS}, {"json": {"token": "x"}}),
        Case(
            "POST",
            "/v1/accounts/password-reset",
            {a: 202 for a in ACTORS},
            {"json": {"email": "nobody@cabinetoffice.gov.uk"}},
        ),
        Case("GET", "/v1/admin/domains", ADMIN_ONLY),
        Case("PUT", "/v1/admin/domains", ADMIN_ONLY, {"json": {"domains": ["*.gov.uk"]}}),
        Case("GET", "/v1/admin/stats", ADMIN_ONLY),
        Case(
            "POST",
            "/v1/admin/import?dry_run=true",
            ADMIN_ONLY,
            {"files": {"file": ("c.csv", COACH_CSV.encode(), "text/csv")}},
        ),
        Case(
            "DELETE",
            "/v1/admin/accounts?email=nobody-here@cabinetoffice.gov.uk",
            ADMIN_ONLY | {"admin": 404},
        ),
        Case("GET", "/v1/admin/imports", ADMIN_ONLY),
        Case("GET", "/v1/admin/imports/no-such-import", ADMIN_ONLY | {"admin": 404}),
        Case("POST", "/v1/admin/imports/no-such-import/invitations", ADMIN_ONLY | {"admin": 404}),
    ]


async def test_every_endpoint_answers_each_kind_of_caller_as_expected(
    client: httpx.AsyncClient, reader: EventReader, embedded_broker: EmbeddedBroker
) -> None:
    def email(name: str) -> str:
        return f"{name}.{uuid.uuid4().hex[:8]}@cabinetoffice.gov.uk"

    subject_id, owner = await register_verified(client, reader, email("owner"), "Olive Owner")
    _, member = await register_verified(client, reader, email("member"), "Mo Member")
    matched_id, matched = await register_verified(client, reader, email("matched"), "Mat Matched")
    pending_id, pending = await register_verified(client, reader, email("pending"), "Pat Pending")
    admin = (await sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)).json()["access_token"]

    accepted_id, requested_id = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(
        embedded_broker.bootstrap_servers,
        MatchAccepted(match_id=accepted_id, mentee_id=matched_id, mentor_id=subject_id),
        subject=accepted_id,
        source="matching",
    )
    await publish(
        embedded_broker.bootstrap_servers,
        MatchRequested(
            match_id=requested_id,
            mentee_id=pending_id,
            mentor_id=subject_id,
            message="Hello",
            expires_at="2030-01-01T00:00:00Z",
        ),
        subject=requested_id,
        source="matching",
    )
    contact = f"/v1/profiles/{subject_id}/contact"
    for _ in range(200):
        if (await client.get(contact, headers=bearer(matched))).status_code == 200:
            break
        await asyncio.sleep(0.1)

    tokens = {
        "anonymous": None,
        "owner": owner,
        "member": member,
        "matched": matched,
        "pending": pending,
        "admin": admin,
    }
    unexpected = []
    checked = 0
    for case in cases():
        for actor, expected in case.expected.items():
            token = tokens[actor]
            headers = bearer(token) if token else {}
            path = case.path.format(subject=subject_id)
            response = await client.request(
                case.method, path, headers=headers, **(case.kwargs or {})
            )
            checked += 1
            if response.status_code != expected:
                unexpected.append((case.method, path, actor, expected, response.status_code))
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}, response.text
    assert checked >= 90
    assert unexpected == []
