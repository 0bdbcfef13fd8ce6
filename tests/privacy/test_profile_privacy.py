"""Privacy in the profile service, tried from outside against the running system:
opaque directory cursors, unconfirmed people kept out of sight, anonymity that holds in
the directory, and an erasure that leaves nothing of the person in the profile store,
its outbox or the other side's export, even when a match event naming them arrives
afterwards and the outbox is replayed."""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from mentor_shared.events.envelope import new_event
from mentor_shared.events.schemas import MatchAccepted, MatchEnded
from tests.conftest import BIN, System, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORD = "plum kettle orbit lantern privacy"
T = TypeVar("T")


@dataclass
class Person:
    """Someone using the service through its public APIs."""

    system: System
    name: str
    email: str
    token: str = ""
    id: str = ""
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.request(
            method, self.system.url(service) + path, headers=headers, **kwargs
        )

    def register(self) -> None:
        created = self.call(
            "POST",
            "profile",
            "/v1/accounts",
            json={"email": self.email, "password": PASSWORD, "display_name": self.name},
        )
        assert created.status_code == 201, created.text

    def register_and_confirm(self) -> Person:
        self.register()
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
        return self

    def update(self, **fields: Any) -> dict[str, Any]:
        updated = self.call("PUT", "profile", "/v1/profiles/me", json=fields)
        assert updated.status_code == 200, updated.text
        body: dict[str, Any] = updated.json()
        return body

    def directory(self, **params: Any) -> httpx.Response:
        return self.call("GET", "profile", "/v1/profiles", params=params)


@dataclass
class People:
    viewer: Person
    bell: Person
    cole: Person
    hidden: Person
    tag: str


@pytest.fixture(scope="module")
def people(running_system: System) -> People:
    tag = uuid.uuid4().hex[:5]

    def person(first: str, last: str) -> Person:
        email = f"{first}.{last}.{tag}@cabinetoffice.gov.uk".lower()
        return Person(running_system, f"{first} {last}{tag}", email)

    crowd = People(
        viewer=person("Vera", "Viewer").register_and_confirm(),
        bell=person("Adam", "Bell").register_and_confirm(),
        cole=person("Ava", "Cole").register_and_confirm(),
        hidden=person("Adam", "Zane").register_and_confirm(),
        tag=tag,
    )
    for named in (crowd.bell, crowd.cole):
        named.update(department="ons", grade="G7", profession="statistics", region="wales")
    crowd.hidden.update(
        anonymous=True, department="ons", grade="G7", profession="statistics", region="wales"
    )
    return crowd


def decoded(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def test_the_directory_cursor_carries_no_name_and_a_tampered_one_is_refused(
    people: People,
) -> None:
    viewer = people.viewer
    names = [p.name.lower().encode() for p in (people.bell, people.cole, people.hidden)]
    cursor, seen = None, 0
    for _ in range(500):  # the whole directory, two people a page
        page = viewer.directory(limit=2, **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        seen += len(page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        inside = decoded(cursor).lower()
        for name in names:
            for word in name.split():
                assert word not in inside
    assert seen >= 5

    good = viewer.directory(limit=1).json()["next_cursor"]
    tampered = good[:12] + ("A" if good[12] != "A" else "B") + good[13:]
    forged = base64.urlsafe_b64encode(b'["adam bell","0"]').decode().rstrip("=")
    for bad in (tampered, forged):
        refused = viewer.directory(cursor=bad)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert error["code"] == "invalid_cursor"


def test_an_unconfirmed_registrant_is_not_in_the_directory_and_not_found(
    running_system: System, people: People
) -> None:
    tag = uuid.uuid4().hex[:5]
    stranger = Person(
        running_system,
        f"Permanent Secretary{tag} call 020 7946 0999",
        f"nobody.{tag}@cabinetoffice.gov.uk",
    )
    stranger.register()
    # Their id is not given out before confirmation: read it where the service keeps it.
    stranger_id = eventually(lambda: account_id(running_system, stranger.email))

    for query in ({"q": f"secretary{tag}"}, {"q": "permanent"}, {}):
        items = people.viewer.directory(limit=100, **query).json()["items"]
        assert stranger_id not in {item["id"] for item in items}, query
    found = people.viewer.call("GET", "profile", f"/v1/profiles/{stranger_id}")
    assert found.status_code == 404
    assert found.json()["error"]["code"] == "profile_not_found"
    contact = people.viewer.call("GET", "profile", f"/v1/profiles/{stranger_id}/contact")
    assert contact.status_code == 404
    # Nothing about them goes to matching, messaging or notifications' profile copies.
    assert "profile.upserted" not in outbox_types(running_system, stranger_id)


def test_an_anonymous_person_is_not_found_by_name_profession_or_region(people: People) -> None:
    viewer, hidden = people.viewer, people.hidden
    for query in (
        {"q": "zane"},
        {"q": f"zane{people.tag}"},
        {"profession": "statistics"},
        {"region": "wales"},
        {"department": "ons", "profession": "statistics"},
    ):
        ids = {item["id"] for item in viewer.directory(limit=100, **query).json()["items"]}
        assert hidden.id not in ids, query
        if "q" not in query:
            assert people.bell.id in ids, query

    listed = viewer.directory(limit=100, department="ons", grade="G7").json()["items"]
    card = next(item for item in listed if item["id"] == hidden.id)
    assert card == {
        "id": hidden.id,
        "anonymous": True,
        "initials": "A. Z.",
        "department": "ons",
        "grade": "G7",
    }
    assert viewer.call("GET", "profile", f"/v1/profiles/{hidden.id}").json() == card
    # Placed by initials ("a. z."), not between "adam bell" and "ava cole" as the full
    # name would put them, which would tell anyone paging the directory their first name.
    order = [item["id"] for item in listed]
    mine = [i for i in order if i in {hidden.id, people.bell.id, people.cole.id}]
    assert mine == [hidden.id, people.bell.id, people.cole.id]


def test_erasure_leaves_nothing_in_the_store_the_outbox_or_the_other_sides_export(
    running_system: System, people: People
) -> None:
    tag = uuid.uuid4().hex[:5]
    mentor = people.viewer
    mentor_version = mentor.update(
        department="hmrc",
        grade="G6",
        profession="policy",
        region="london",
        roles={"mentor": True},
        capacity=3,
        accepting_requests=True,
        expertise=["negotiating budgets with the Treasury"],
    )["version"]
    mentee = Person(
        running_system, f"Quirinus Fenwick{tag}", f"quirinus.fenwick.{tag}@dwp.gov.uk"
    ).register_and_confirm()
    words = f"Zoetrope{tag} apprenticeship for marzipan logistics"
    mentee_version = mentee.update(
        department="dwp",
        grade="SEO",
        roles={"mentee": True},
        goals=["negotiating budgets"],
        goals_text=words,
        contact={"email": mentee.email, "phone": "07700 900456"},
    )["version"]

    for person, version in ((mentor, mentor_version), (mentee, mentee_version)):
        eventually(
            # The version is null until matching has indexed the person at all.
            lambda p=person, v=version: (
                (
                    p.call("GET", "matching", "/v1/index/status", params={"profile_id": p.id})
                    .json()
                    .get("version")
                    or 0
                )
                >= v
            ),
            timeout=120,
        )
    requested = mentee.call(
        "POST", "matching", "/v1/matches", json={"mentor_id": mentor.id, "message": words}
    )
    assert requested.status_code == 201, requested.text
    match_id = requested.json()["id"]
    accepted = mentor.call("POST", "matching", f"/v1/matches/{match_id}/accept")
    assert accepted.status_code == 200, accepted.text
    eventually(lambda: grants_naming(mentor, mentee.id))

    erased = mentee.call("DELETE", "profile", "/v1/profiles/me", json={"password": PASSWORD})
    assert erased.status_code == 204, erased.text
    eventually(lambda: not grants_naming(mentor, mentee.id))

    # A match event naming them after the erasure (late, replayed, or published by a
    # service that had not caught up) creates nothing.
    people_ = {"match_id": match_id, "mentee_id": mentee.id, "mentor_id": mentor.id}
    asyncio.run(
        publish(
            running_system,
            [MatchAccepted(**people_), MatchEnded(**people_, ended_by=mentor.id)],
            match_id,
        )
    )
    # And everything the profile service retained for replay goes out again, as after
    # a broker loss: what it has of them now is the deletion and the tombstones.
    replayed = subprocess.run(
        [str(BIN / "mentor-match"), "replay-outbox", "profile", "--hours", "1"],
        env=running_system.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    time.sleep(5)  # the consumers' batches: anything they would write shows by now
    assert not grants_naming(mentor, mentee.id)
    export = mentor.call("GET", "profile", "/v1/me/export")
    assert export.status_code == 200
    assert mentee.id not in export.text

    # In the outbox: the deletion and the tombstones, nothing else of theirs.
    assert outbox_types(running_system, mentee.id) == ["profile.deleted", None, None]
    # And in the bytes of the store and its write-ahead log: none of what they gave.
    path = running_system.data_dir / "profile.sqlite3"
    content = b"".join(
        f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists()
    )
    for needle in (mentee.email, mentee.name, f"Fenwick{tag}", f"Zoetrope{tag}", "marzipan"):
        assert needle.encode() not in content, needle


def grants_naming(person: Person, other_id: str) -> list[dict[str, Any]]:
    export = person.call("GET", "profile", "/v1/me/export")
    assert export.status_code == 200, export.text
    return [
        grant
        for grant in export.json()["contact_grants"]
        if other_id in (grant["mentee_id"], grant["mentor_id"])
    ]


def _read(system: System, sql: str, params: tuple[Any, ...]) -> list[Any]:
    path = system.data_dir / "profile.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        return list(db.execute(sql, params))


def account_id(system: System, email: str) -> str | None:
    rows = _read(system, "SELECT id FROM accounts WHERE email_key = ?", (email.lower(),))
    return rows[0][0] if rows else None


def outbox_types(system: System, subject: str) -> list[str | None]:
    rows = _read(system, "SELECT headers FROM outbox WHERE key = ? ORDER BY seq", (subject,))
    return [json.loads(headers).get("event_type") for (headers,) in rows]


async def publish(system: System, payloads: list[Any], key: str) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=f"127.0.0.1:{system.env['EMBEDDED_KAFKA_PORT']}", acks="all"
    )
    await producer.start()
    try:
        for payload in payloads:
            event = new_event(payload, subject=key, source="matching")
            await producer.send_and_wait("match", event.to_bytes(), key=key.encode())
    finally:
        await producer.stop()
