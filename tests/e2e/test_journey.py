"""The user journey end to end: every service its own process, the real broker,
the real mail sink, only public HTTP APIs (plus a final look inside every store).

It runs on the embedded defaults (Tansu, SQLite) and, where Docker runs, on Apache
Kafka and a MongoDB replica set (``pytest -m docker`` selects that run alone).
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from pymongo import MongoClient
from pymongo.database import Database

from tests.conftest import System, emails_to, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORD = "plum kettle harbour ninety lantern"
# Event ids, and (outbox) the published erasure event itself.
BUS_RECORDS = {"inbox", "outbox", "outbox_marks"}
# Erased ids are kept on purpose: they are how a replayed event is recognised.
KEPT_AFTER_ERASURE = BUS_RECORDS | {"erased_subjects"}


@pytest.fixture(
    params=[
        # First: this system stops after its test, before the embedded one starts
        # (a session fixture, kept for test_runner.py), so the two never run together.
        pytest.param("apache-kafka-mongodb", marks=[pytest.mark.docker, pytest.mark.timeout(1200)]),
        "embedded",
    ]
)
def journey_system(request: pytest.FixtureRequest) -> System:
    """The system the journey runs on: production's broker and store, or the defaults."""
    if request.param == "embedded":
        embedded: System = request.getfixturevalue("running_system")
        return embedded
    docker: System = request.getfixturevalue("running_system_on_kafka_and_mongodb")
    return docker


class Person:
    """Someone using the service through its public APIs."""

    def __init__(self, system: System, email: str, name: str) -> None:
        self.system, self.email, self.name = system, email, name
        self.client = httpx.Client(timeout=30)
        self.token = ""
        self.id = ""

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.request(
            method, self.system.url(service) + path, headers=headers, **kwargs
        )

    def register_and_verify(self) -> None:
        created = self.call(
            "POST",
            "profile",
            "/v1/accounts",
            json={"email": self.email, "password": PASSWORD, "display_name": self.name},
        )
        assert created.status_code == 201, created.text
        token = eventually(lambda: verification_token(self.system, self.email))
        verified = self.call("POST", "profile", "/v1/accounts/verify", json={"token": token})
        assert verified.status_code in (200, 204), verified.text
        signed_in = self.client.post(
            self.system.url("profile") + "/v1/auth/token",
            data={"username": self.email, "password": PASSWORD},
        )
        assert signed_in.status_code == 200, signed_in.text
        self.token = signed_in.json()["access_token"]
        self.id = self.call("GET", "profile", "/v1/profiles/me").json()["id"]


def store_mentions(system: System, service: str, needle: str) -> list[str]:
    """Tables (collections) of a service's store that still hold ``needle`` anywhere."""
    if system.mongodb_uri:
        return mongo_mentions(system.mongodb_uri, service, needle)
    path = system.data_dir / f"{service}.sqlite3"
    assert path.exists(), f"{service} keeps no SQLite file at {path}"
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        hits = []
        for table in tables:
            if table in KEPT_AFTER_ERASURE:
                continue
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            condition = " OR ".join(f"CAST({c} AS TEXT) LIKE ?" for c in columns)
            count = db.execute(
                f"SELECT count(*) FROM {table} WHERE {condition}",
                [f"%{needle}%"] * len(columns),
            ).fetchone()[0]
            if count:
                hits.append(f"{table} ({count})")
    return hits


def mongo_mentions(uri: str, database: str, needle: str) -> list[str]:
    """Collections of a service's MongoDB database that still hold ``needle`` anywhere."""
    hits = []
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri, serverSelectionTimeoutMS=10_000) as client:
        db: Database[dict[str, Any]] = client[database]
        assert database in client.list_database_names(), f"no MongoDB database {database}"
        for name in db.list_collection_names():
            if name in KEPT_AFTER_ERASURE:
                continue
            count = sum(
                needle.lower() in json.dumps(document, default=str).lower()
                for document in db[name].find({})
            )
            if count:
                hits.append(f"{name} ({count})")
    return hits


def test_mentee_finds_requests_talks_to_and_leaves_a_mentor(journey_system: System) -> None:
    system = journey_system
    mentor = Person(system, "gwen.mentor@justice.gov.uk", "Gwen Marsh")
    mentee = Person(system, "tom.mentee@dwp.gov.uk", "Tom Okafor")
    for person in (mentor, mentee):
        person.register_and_verify()

    updated = mentor.call(
        "PUT",
        "profile",
        "/v1/profiles/me",
        json={
            "department": "moj",
            "profession": "policy",
            "grade": "G6",
            "region": "london",
            "roles": {"mentor": True},
            "capacity": 2,
            "accepting_requests": True,
            "expertise": [
                "stakeholder management at board level",
                "writing ministerial submissions",
            ],
            "experience_text": "I have led policy teams and briefed ministers for ten years.",
            "contact": {"email": "gwen.marsh@justice.gov.uk", "phone": "07700 900123"},
        },
    )
    assert updated.status_code == 200, updated.text
    versions = {mentor.id: updated.json()["version"]}
    updated = mentee.call(
        "PUT",
        "profile",
        "/v1/profiles/me",
        json={
            "department": "dwp",
            "profession": "policy",
            "grade": "SEO",
            "region": "london",
            "roles": {"mentee": True},
            "goals": ["getting senior people on side", "writing for ministers"],
            "contact": {"email": "tom.okafor@dwp.gov.uk"},
        },
    )
    assert updated.status_code == 200, updated.text
    versions[mentee.id] = updated.json()["version"]

    # Matching indexes both from the profile stream.
    for person in (mentor, mentee):
        eventually(
            lambda p=person: (
                p.call("GET", "matching", "/v1/index/status", params={"profile_id": p.id})
                .json()
                .get("version")
                == versions[p.id]
            )
        )
    suggestions = mentee.call("GET", "matching", "/v1/suggestions", params={"role": "mentor"})
    assert suggestions.status_code == 200, suggestions.text
    mine = [s for s in suggestions.json() if s["profile_id"] == mentor.id]
    assert mine, suggestions.json()
    assert mine[0]["reasons"], "a suggestion explains itself"
    assert any("stakeholder" in reason or "ministers" in reason for reason in mine[0]["reasons"])

    for query in ({"q": "gwen"}, {"department": "moj"}, {"profession": "policy", "q": "Marsh"}):
        found = mentee.call("GET", "profile", "/v1/profiles", params=query).json()
        assert mentor.id in {p["id"] for p in found["items"]}, query

    # The request, and what the mentor is told.
    requested = mentee.call(
        "POST",
        "matching",
        "/v1/matches",
        json={"mentor_id": mentor.id, "message": "Could we have a chemistry conversation?"},
    )
    assert requested.status_code == 201, requested.text
    match_id = requested.json()["id"]
    notes = eventually(
        lambda: mentor.call("GET", "notifications", "/v1/notifications").json()["items"]
    )
    assert notes[0]["kind"] == "request_received"
    eventually(
        lambda: any(
            "would like you to be their mentor" in str(m["Subject"])
            for m in emails_to(system, mentor.email)
        )
    )

    contact = f"/v1/profiles/{mentor.id}/contact"
    assert mentee.call("GET", "profile", contact).status_code == 403

    accepted = mentor.call("POST", "matching", f"/v1/matches/{match_id}/accept")
    assert accepted.status_code == 200, accepted.text
    shared = eventually(
        lambda: (r := mentee.call("GET", "profile", contact)).status_code == 200 and r.json()
    )
    assert shared["email"] == "gwen.marsh@justice.gov.uk"

    # They talk on the site.
    conversation = eventually(
        lambda: [
            c
            for c in mentee.call("GET", "messaging", "/v1/conversations").json()["items"]
            if c["match_id"] == match_id and c["status"] == "active"
        ]
    )[0]
    messages = f"/v1/conversations/{conversation['id']}/messages"
    assert (
        mentor.call("POST", "messaging", messages, json={"body": "Happy to help."}).status_code
        == 201
    )
    assert (
        mentee.call("POST", "messaging", messages, json={"body": "Thank you!"}).status_code == 201
    )
    bodies = [m["body"] for m in mentor.call("GET", "messaging", messages).json()["items"]]
    assert "Thank you!" in bodies

    # A series of sessions, one confirmed, with a calendar invite.
    series = mentee.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation['id']}/sessions/series",
        json={"starts_at": "2030-01-07T10:00:00Z", "location": "Online"},
    )
    assert series.status_code == 201, series.text
    sessions = series.json()["items"] if isinstance(series.json(), dict) else series.json()
    assert len(sessions) == 6
    first = sessions[0]["id"]
    base = f"/v1/conversations/{conversation['id']}/sessions/{first}"
    assert mentor.call("POST", "messaging", f"{base}/accept").status_code == 200
    invite = mentee.call("GET", "messaging", f"{base}.ics")
    assert invite.status_code == 200
    event = next(c for c in Calendar.from_ical(invite.content).walk() if c.name == "VEVENT")
    assert event.decoded("dtstart").isoformat().startswith("2030-01-07T10:00")

    # The match ends: contact details are hidden again.
    assert (
        mentee.call(
            "POST", "matching", f"/v1/matches/{match_id}/end", json={"rating": 5}
        ).status_code
        == 200
    )
    eventually(lambda: mentee.call("GET", "profile", contact).status_code == 403)

    # The mentee leaves: no service holds anything of them.
    assert (
        mentee.call("DELETE", "profile", "/v1/profiles/me", json={"password": PASSWORD}).status_code
        == 204
    )
    # Their access token lives on for its few minutes: enough to ask what is left.
    eventually(
        lambda: (
            mentee.call("GET", "matching", "/v1/index/status", params={"profile_id": mentee.id})
            .json()
            .get("version")
            is None
        )
    )
    search = mentor.call(
        "POST",
        "matching",
        "/v1/search",
        json={"text": "getting senior people on side", "role": "mentee"},
    )
    assert mentee.id not in {s["profile_id"] for s in search.json()}

    # The mentee's messages are deleted; the mentor keeps their own.
    def thread_without_mentee() -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = mentor.call("GET", "messaging", messages).json()["items"]
        return None if any(m["sender_id"] == mentee.id for m in items) else items

    thread = eventually(thread_without_mentee)
    assert [m["body"] for m in thread] == ["Happy to help."]
    # Their token stops working everywhere once each service has applied the erasure.
    routes = {
        "notifications": "/v1/notifications",
        "messaging": "/v1/conversations",
        "matching": "/v1/matches",
        "profile": "/v1/profiles/me",
    }

    def answers() -> dict[str, int]:
        return {s: mentee.call("GET", s, p).status_code for s, p in routes.items()}

    deadline = time.monotonic() + 30
    while set(answers().values()) != {401} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert answers() == dict.fromkeys(routes, 401)
    deadline = time.monotonic() + 30
    for service in ("profile", "matching", "messaging", "notifications"):
        while store_mentions(system, service, mentee.id) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not store_mentions(system, service, mentee.id), (
            service,
            store_mentions(system, service, mentee.id),
        )
        assert not store_mentions(system, service, mentee.email), service
