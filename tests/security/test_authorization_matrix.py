"""The authorisation matrix: every route of the four services' OpenAPI documents,
called by five people, against the table ``authorization.csv``.

The callers are someone not signed in, a member (a mentee), another member who has
nothing to do with the member, the member's match partner (the mentor who accepted
their request) and the administrator. Path parameters are filled with real ids
owned by the member (their profile, match, conversation, message, session,
notification, check-in) or, for the administrators' routes, by the administrator. Each cell
of the table is the status that caller should get, or a few acceptable ones
(``2xx|409``: allowed through, then answered by the state of things); ``-`` is a
call not made (the row says why).

A route in an OpenAPI document without a row fails, and so does a row whose route
no longer exists: a new route cannot be added without deciding who may call it.
"""

from __future__ import annotations

import csv
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, System, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow]

TABLE = Path(__file__).with_name("authorization.csv")
SERVICES = ("profile", "matching", "messaging", "notifications")
CALLERS = ("anonymous", "other_member", "administrator", "match_partner", "member")
"""The order each row is called in: the member's own calls come last, so that what
they change cannot alter the answers the others get."""
PASSWORD = "quartz meadow lantern forty cobble"

Route = tuple[str, str, str]
"""(service, HTTP method, path template as the OpenAPI document spells it)"""

LAST: tuple[Route, ...] = (
    ("matching", "POST", "/v1/matches/{match_id}/end"),
    ("profile", "DELETE", "/v1/admin/accounts"),
    ("profile", "DELETE", "/v1/profiles/me"),
)
"""Routes that end something the other rows need, called after every other row,
in this order."""


@dataclass(frozen=True)
class Row:
    """One route of the table and what each caller should get."""

    route: Route
    expected: dict[str, str]
    why: str

    def accepts(self, caller: str, status: int) -> bool:
        """Whether ``status`` is one of the caller's acceptable statuses."""
        for allowed in self.expected[caller].split("|"):
            if allowed == str(status) or (allowed.endswith("xx") and str(status)[0] == allowed[0]):
                return True
        return False


def read_table() -> dict[Route, Row]:
    """The rows of ``authorization.csv`` by route (a repeated route fails)."""
    rows: dict[Route, Row] = {}
    with TABLE.open(newline="") as handle:
        for line in csv.DictReader(handle):
            route = (line["service"], line["method"].upper(), line["path"])
            assert route not in rows, f"{route} has two rows"
            for caller in CALLERS:
                assert re.fullmatch(r"-|[1-5](\d\d|xx)(\|[1-5](\d\d|xx))*", line[caller]), (
                    f"{route}: {caller} {line[caller]!r} is not a status, a class or '-'"
                )
            rows[route] = Row(route, {c: line[c] for c in CALLERS}, line["why"])
    return rows


def documented_routes(system: System) -> set[Route]:
    """Every (service, method, path template) of the services' OpenAPI documents."""
    routes = set()
    for service in SERVICES:
        document = httpx.get(system.url(service) + "/openapi.json", timeout=30)
        assert document.status_code == 200, (service, document.status_code)
        for path, operations in document.json()["paths"].items():
            for method in operations:
                if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                    routes.add((service, method.upper(), path))
    return routes


# --- people -----------------------------------------------------------------------


class Caller:
    """Someone calling the services' public APIs, signed in or not.

    Each caller comes from its own address (``X-Forwarded-For``, honoured from the
    local host), so that per-address abuse limits count each person apart.
    """

    def __init__(self, system: System, name: str, address: str, email: str = "") -> None:
        self.system, self.name, self.email = system, name, email
        self.client = httpx.Client(timeout=30, headers={"X-Forwarded-For": address})
        self.token = ""
        self.id = ""

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.request(
            method, self.system.url(service) + path, headers=headers, **kwargs
        )

    def status_of(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response's status and headers only (a live stream is not read)."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with self.client.stream(
            method, self.system.url(service) + path, headers=headers, **kwargs
        ) as response:
            if not response.headers.get("content-type", "").startswith("text/event-stream"):
                response.read()
            return response

    def sign_in(self, password: str = PASSWORD) -> None:
        signed_in = self.client.post(
            self.system.url("profile") + "/v1/auth/token",
            data={"username": self.email, "password": password},
        )
        assert signed_in.status_code == 200, (self.name, signed_in.text)
        self.token = signed_in.json()["access_token"]
        me = self.call("GET", "profile", "/v1/profiles/me")
        assert me.status_code == 200, (self.name, me.text)
        self.id = me.json()["id"]

    def register_and_verify(self, display_name: str) -> None:
        created = self.call(
            "POST",
            "profile",
            "/v1/accounts",
            json={"email": self.email, "password": PASSWORD, "display_name": display_name},
        )
        assert created.status_code == 201, (self.name, created.text)
        token = eventually(lambda: verification_token(self.system, self.email))
        verified = self.call("POST", "profile", "/v1/accounts/verify", json={"token": token})
        assert verified.status_code in (200, 204), (self.name, verified.text)
        self.sign_in()

    def update_profile(self, **fields: Any) -> int:
        updated = self.call("PUT", "profile", "/v1/profiles/me", json=fields)
        assert updated.status_code == 200, (self.name, updated.text)
        version: int = updated.json()["version"]
        return version


@dataclass
class World:
    """The five callers and the ids the routes' path parameters are filled with."""

    callers: dict[str, Caller]
    ids: dict[str, str]
    admin_domains: list[str]
    erase_target: str
    suffix: str
    webhook: dict[str, Any]


def indexed(caller: Caller, version: int) -> bool:
    status = caller.call(
        "GET", "matching", "/v1/index/status", params={"profile_id": caller.id}
    ).json()
    return bool(status.get("version") == version)


def build_world(system: System) -> World:
    """Three members, a match accepted between two, their conversation and its things."""
    suffix = uuid.uuid4().hex[:8]

    def person(name: str, number: int, domain: str) -> Caller:
        email = f"matrix.{name}.{suffix}@{domain}"
        return Caller(system, name, f"198.51.100.{number}", email)

    member = person("member", 11, "dwp.gov.uk")
    other = person("other", 12, "hmrc.gov.uk")
    partner = person("partner", 13, "justice.gov.uk")
    target = person("erased", 14, "dwp.gov.uk")
    anonymous = Caller(system, "anonymous", "198.51.100.10")
    admin = Caller(system, "administrator", "198.51.100.15", ADMIN_EMAIL)
    admin.sign_in(ADMIN_PASSWORD)

    member.register_and_verify("Morgan Quill")
    other.register_and_verify("Otto Brennan")
    partner.register_and_verify("Priya Delaney")
    target.register_and_verify("Eli Throwaway")

    partner_version = partner.update_profile(
        department="moj",
        profession="policy",
        grade="G7",
        region="london",
        roles={"mentor": True},
        capacity=3,
        accepting_requests=True,
        expertise=["briefing ministers", "running consultations"],
        contact={"email": partner.email, "phone": "07700 900456"},
    )
    member.update_profile(
        department="dwp",
        profession="policy",
        grade="HEO",
        region="london",
        roles={"mentee": True},
        goals=["briefing ministers with confidence"],
        contact={"email": member.email, "phone": "07700 900123"},
    )
    other.update_profile(department="hmrc", roles={"mentee": True}, goals=["data skills"])
    eventually(lambda: indexed(partner, partner_version))

    requested = member.call(
        "POST",
        "matching",
        "/v1/matches",
        json={"mentor_id": partner.id, "message": "Could we talk about briefings?"},
    )
    assert requested.status_code == 201, requested.text
    match_id = requested.json()["id"]
    accepted = partner.call("POST", "matching", f"/v1/matches/{match_id}/accept")
    assert accepted.status_code == 200, accepted.text
    eventually(
        lambda: (
            partner.call("GET", "profile", f"/v1/profiles/{member.id}/contact").status_code == 200
        )
    )
    conversation = eventually(
        lambda: [
            c
            for c in member.call("GET", "messaging", "/v1/conversations").json()["items"]
            if c["match_id"] == match_id and c["status"] == "active"
        ]
    )[0]["id"]
    sent = member.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation}/messages",
        json={"body": "Thank you for accepting."},
    )
    assert sent.status_code == 201, sent.text
    proposed = member.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation}/sessions",
        json={"starts_at": "2031-03-03T10:00:00Z", "duration_minutes": 60, "location": "Online"},
    )
    assert proposed.status_code == 201, proposed.text
    session = proposed.json()["id"]
    confirmed = partner.call(
        "POST", "messaging", f"/v1/conversations/{conversation}/sessions/{session}/accept"
    )
    assert confirmed.status_code == 200, confirmed.text
    notification = eventually(
        lambda: member.call("GET", "notifications", "/v1/notifications").json()["items"]
    )[0]["id"]
    # Two more confirmed sessions make three: both people are sent a check-in.
    series = member.call(
        "POST",
        "messaging",
        f"/v1/conversations/{conversation}/sessions/series",
        json={"starts_at": "2031-06-02T10:00:00Z", "location": "Online"},
    )
    assert series.status_code == 201, series.text
    for planned in series.json()["items"][:2]:
        accepted_session = partner.call(
            "POST",
            "messaging",
            f"/v1/conversations/{conversation}/sessions/{planned['id']}/accept",
        )
        assert accepted_session.status_code == 200, accepted_session.text
    checkin = eventually(lambda: member.call("GET", "notifications", "/v1/checkins").json())[0][
        "id"
    ]

    webhook = subscription_body(system)
    subscription = admin.call("POST", "notifications", "/v1/subscriptions", json=webhook)
    coach_import = admin.call(
        "POST",
        "profile",
        "/v1/admin/import",
        **csv_upload(
            "coaches.csv",
            "name,email,department,profession,grade,region,expertise,approach,capacity\n"
            f"Matrix Coach,matrix.coach.{suffix}@dwp.gov.uk,dwp,policy,G7,london,"
            "Leadership,Listening,2\n",
        ),
    )
    assert coach_import.status_code == 200, coach_import.text
    domains = admin.call("GET", "profile", "/v1/admin/domains")
    assert domains.status_code == 200, domains.text
    return World(
        callers={
            "anonymous": anonymous,
            "member": member,
            "other_member": other,
            "match_partner": partner,
            "administrator": admin,
        },
        ids={
            "profile_id": member.id,
            "match_id": match_id,
            "conversation_id": conversation,
            "message_id": sent.json()["id"],
            "session_id": session,
            # Marking a session held before it starts is refused whoever asks: the
            # participants get that refusal, everyone else does not get that far.
            "action": "held",
            "notification_id": notification,
            "checkin_id": checkin,
            "import_id": coach_import.json()["import_id"],
            # Where the receiver's name does not resolve to a public address (no
            # network), webhook address checks refuse it: then an id that does not
            # exist still shows who gets past the administrators' door.
            "subscription_id": subscription.json()["id"]
            if subscription.status_code == 201
            else str(uuid.uuid4()),
        },
        admin_domains=domains.json()["domains"],
        erase_target=target.email,
        suffix=suffix,
        webhook=webhook,
    )


WEBHOOK_URL = "https://hooks.example.org/mentor-match"


def subscription_body(system: System) -> dict[str, Any]:
    """A webhook subscription; with a secret only where the API takes one from the
    caller (rather than generating it)."""
    document = httpx.get(system.url("notifications") + "/openapi.json", timeout=30).json()
    fields = document["components"]["schemas"]["SubscriptionCreate"]["properties"]
    body: dict[str, Any] = {"url": WEBHOOK_URL, "department": "dwp"}
    if "secret" in fields:
        body["secret"] = "matrix-test-webhook-secret-0123456789"
    return body


# --- what each route is called with -----------------------------------------------

Request = Callable[[World, str], dict[str, Any]]


def csv_upload(name: str, text: str) -> dict[str, Any]:
    return {"files": {"file": (name, text.encode(), "text/csv")}}


REQUESTS: dict[Route, Request] = {
    ("profile", "POST", "/v1/auth/token"): lambda w, c: {
        "data": {"username": w.callers["member"].email, "password": PASSWORD}
    },
    ("profile", "POST", "/v1/auth/refresh"): lambda w, c: {
        "json": {"refresh_token": "not-a-refresh-token"}
    },
    ("profile", "POST", "/v1/auth/logout"): lambda w, c: {
        "json": {"refresh_token": "not-a-refresh-token"}
    },
    ("profile", "POST", "/v1/accounts"): lambda w, c: {
        "json": {
            "email": f"matrix.registered.{c}.{w.suffix}@dwp.gov.uk",
            "password": PASSWORD,
            "display_name": "Reg Istrant",
        }
    },
    ("profile", "POST", "/v1/accounts/verify"): lambda w, c: {"json": {"token": "forged"}},
    ("profile", "POST", "/v1/accounts/password-reset"): lambda w, c: {
        "json": {"email": f"matrix.nobody.{c}.{w.suffix}@dwp.gov.uk"}
    },
    ("profile", "POST", "/v1/accounts/password-reset/confirm"): lambda w, c: {
        "json": {"token": "forged", "password": PASSWORD}
    },
    ("profile", "POST", "/v1/accounts/claim"): lambda w, c: {
        "json": {"token": "forged", "password": PASSWORD}
    },
    ("profile", "POST", "/v1/accounts/me/password"): lambda w, c: {
        "json": {
            "current_password": ADMIN_PASSWORD if c == "administrator" else PASSWORD,
            "new_password": "short",
        }
    },
    ("profile", "PUT", "/v1/profiles/me"): lambda w, c: {"json": {}},
    ("profile", "DELETE", "/v1/profiles/me"): lambda w, c: {"json": {"password": PASSWORD}},
    ("profile", "POST", "/v1/profiles/me/import/linkedin"): lambda w, c: {
        "files": {"files": ("Skills.csv", b"Name\nPublic speaking\n", "text/csv")}
    },
    ("profile", "PUT", "/v1/admin/domains"): lambda w, c: {"json": {"domains": w.admin_domains}},
    ("profile", "POST", "/v1/admin/import"): lambda w, c: {
        "params": {"dry_run": "true"},
        **csv_upload(
            "coaches.csv",
            "name,email,department,profession,grade,region,expertise,approach,capacity\n",
        ),
    },
    ("profile", "DELETE", "/v1/admin/accounts"): lambda w, c: {"params": {"email": w.erase_target}},
    ("matching", "GET", "/v1/suggestions"): lambda w, c: {"params": {"role": "mentor"}},
    ("matching", "POST", "/v1/search"): lambda w, c: {
        "json": {"text": "briefing ministers", "role": "mentor"}
    },
    ("matching", "GET", "/v1/suggestions/filters"): lambda w, c: {"params": {"role": "mentor"}},
    ("matching", "POST", "/v1/search/filters"): lambda w, c: {
        "json": {"text": "briefing ministers, ideally someone in Leeds", "role": "mentor"}
    },
    ("matching", "POST", "/v1/skills/suggest"): lambda w, c: {
        "json": {"text": "I manage budgets", "side": "offered"}
    },
    ("matching", "POST", "/v1/matches"): lambda w, c: {
        "json": {"mentor_id": w.callers["match_partner"].id, "message": "Hello"}
    },
    ("matching", "GET", "/v1/index/status"): lambda w, c: {
        "params": {"profile_id": w.ids["profile_id"]}
    },
    ("matching", "POST", "/v1/admin/cohorts"): lambda w, c: {
        "json": {
            "mentee_ids": [w.callers["other_member"].id],
            "mentor_ids": [w.callers["match_partner"].id],
        }
    },
    ("messaging", "POST", "/v1/conversations/{conversation_id}/messages"): lambda w, c: {
        "json": {"body": f"A line from the {c}."}
    },
    ("messaging", "POST", "/v1/conversations/{conversation_id}/read"): lambda w, c: {
        "json": {"message_id": w.ids["message_id"]}
    },
    (
        "messaging",
        "POST",
        "/v1/conversations/{conversation_id}/messages/{message_id}/report",
    ): lambda w, c: {"json": {"reason": "Checking who may report"}},
    ("messaging", "POST", "/v1/conversations/{conversation_id}/sessions"): lambda w, c: {
        "json": {"starts_at": "2031-04-07T10:00:00Z", "duration_minutes": 60, "location": "Online"}
    },
    ("messaging", "POST", "/v1/conversations/{conversation_id}/sessions/series"): lambda w, c: {
        "json": {"starts_at": "2032-01-05T10:00:00Z", "location": "Online"}
    },
    ("messaging", "PUT", "/v1/conversations/{conversation_id}/plan"): lambda w, c: {
        "json": {"version": 0, "goals": ["Brief with confidence"], "actions": []}
    },
    (
        "messaging",
        "PUT",
        "/v1/conversations/{conversation_id}/sessions/{session_id}/notes",
    ): lambda w, c: {"json": {"body": f"Notes of the {c}."}},
    ("notifications", "PUT", "/v1/preferences"): lambda w, c: {"json": {}},
    ("notifications", "GET", "/v1/unsubscribe"): lambda w, c: {"params": {"token": "forged"}},
    ("notifications", "POST", "/v1/unsubscribe"): lambda w, c: {"params": {"token": "forged"}},
    ("notifications", "POST", "/v1/subscriptions"): lambda w, c: {"json": w.webhook},
    ("notifications", "POST", "/v1/checkins/{checkin_id}"): lambda w, c: {
        "json": {"rating": 4, "comment": f"From the {c}."}
    },
}
"""A valid-enough request per route; routes not listed are called without a body."""


def fill(path: str, ids: dict[str, str]) -> str:
    """The path with its parameters replaced by the member's ids."""

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        assert name in ids, f"no id for the path parameter {{{name}}} of {path}: add one"
        return ids[name]

    return re.sub(r"\{(\w+)\}", value, path)


def call(world: World, row: Row, caller: str) -> httpx.Response:
    service, method, path = row.route
    request = REQUESTS[row.route](world, caller) if row.route in REQUESTS else {}
    return world.callers[caller].status_of(method, service, fill(path, world.ids), **request)


def describe(response: httpx.Response) -> str:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, TypeError, KeyError, httpx.ResponseNotRead):
        code = None
    return f"{response.status_code}" + (f" {code}" if code else "")


# --- the tests --------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(running_system: System) -> Iterator[World]:
    built = build_world(running_system)
    yield built
    admin = built.callers["administrator"]
    for subscription in admin.call("GET", "notifications", "/v1/subscriptions").json():
        if subscription["url"] == WEBHOOK_URL:
            admin.call("DELETE", "notifications", f"/v1/subscriptions/{subscription['id']}")


def test_every_route_has_a_row_and_every_row_a_route(running_system: System) -> None:
    documented = documented_routes(running_system)
    rows = read_table()
    without_row = sorted(documented - rows.keys())
    assert not without_row, f"routes without a row in {TABLE.name}: {without_row}"
    gone = sorted(set(rows) - documented)
    assert not gone, f"rows of {TABLE.name} whose route no longer exists: {gone}"
    for route in LAST:
        assert route in rows, route


def test_each_caller_gets_the_status_the_table_gives(running_system: System, world: World) -> None:
    documented = documented_routes(running_system)
    rows = read_table()
    ordered = [r for route, r in rows.items() if route not in LAST] + [rows[r] for r in LAST]
    started = time.monotonic()
    wrong = []
    for row in ordered:
        if row.route not in documented:
            continue
        for caller in CALLERS:
            if row.expected[caller] == "-":
                continue
            response = call(world, row, caller)
            if not row.accepts(caller, response.status_code):
                wrong.append(
                    f"{' '.join(row.route)} as {caller}: expected {row.expected[caller]}, "
                    f"got {describe(response)}"
                )
    assert not wrong, f"{len(wrong)} unexpected answers:\n" + "\n".join(wrong)
    assert time.monotonic() - started < 120
