"""Attacks on the public doors of the running system (the embedded defaults, as
`make run` starts them): oversized bodies, anonymous uploads, webhooks aimed inside
the network, and a mentee asking the same mentor again and again.

Each test repeats, from outside and through the public APIs only, a finding of the
security review; each failed on the code before its fix.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, System, eventually
from tests.e2e.test_journey import Person

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SERVICES = ("profile", "matching", "messaging", "notifications")
MIB = 1024 * 1024


def admin_token(system: System) -> str:
    signed_in = httpx.post(
        system.url("profile") + "/v1/auth/token",
        data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        timeout=30,
    )
    assert signed_in.status_code == 200, signed_in.text
    return str(signed_in.json()["access_token"])


@pytest.mark.parametrize("service", SERVICES)
def test_a_30_mb_body_is_refused_before_it_is_read(running_system: System, service: str) -> None:
    body = b'{"email": "' + b"a" * (30 * MIB) + b'"}'
    started = time.monotonic()

    response = httpx.post(
        running_system.url(service) + "/v1/accounts",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )

    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert time.monotonic() - started < 10


def test_a_streamed_body_is_cut_off_without_a_declared_length(running_system: System) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "'
        for _ in range(64):
            yield b"a" * 65536
        yield b'"}'

    response = httpx.post(
        running_system.url("profile") + "/v1/accounts",
        content=chunks(),
        headers={"content-type": "application/json"},
        timeout=60,
    )

    assert response.status_code == 413, response.text


def test_an_anonymous_upload_is_refused_and_an_oversized_one_never_read(
    running_system: System,
) -> None:
    url = running_system.url("profile") + "/v1/admin/import"
    small = {"file": ("coaches.csv", b"name,email\n" + b"x,y\n" * 1000, "text/csv")}
    huge = {"file": ("coaches.csv", b"x" * (60 * MIB), "text/csv")}

    assert httpx.post(url, files=small, timeout=60).status_code == 401
    too_large = httpx.post(
        url,
        files=huge,
        headers={"Authorization": f"Bearer {admin_token(running_system)}"},
        timeout=60,
    )
    assert too_large.status_code == 413, too_large.text


INSIDE = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/latest/meta-data/",
    "https://127.0.0.1:8001/v1/profiles",
    "https://localhost/hook",
    "https://10.0.0.7/hook",
    "https://192.168.1.20/hook",
    "https://172.16.5.4/hook",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://2130706433/hook",
    "https://0x7f.0.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "http://hooks.example.org/plain-http",
]


@pytest.mark.parametrize("url", INSIDE)
def test_webhooks_cannot_point_inside_the_network(running_system: System, url: str) -> None:
    response = httpx.post(
        running_system.url("notifications") + "/v1/subscriptions",
        json={"url": url, "department": "dwp"},
        headers={"Authorization": f"Bearer {admin_token(running_system)}"},
        timeout=30,
    )

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    # Refused for where it points, not for some other field of the request.
    assert "secret" not in json.dumps(error["details"]), error
    assert error["message"]


def _mentor_and_mentee(system: System, tag: str) -> tuple[Person, Person]:
    mentor = Person(system, f"rerequest.mentor.{tag}@justice.gov.uk", "Rhea Mentor")
    mentee = Person(system, f"rerequest.mentee.{tag}@dwp.gov.uk", "Mo Mentee")
    for person in (mentor, mentee):
        person.register_and_verify()
    profile: dict[str, Any] = {
        "department": "moj",
        "profession": "policy",
        "grade": "G6",
        "region": "london",
        "roles": {"mentor": True},
        "capacity": 3,
        "accepting_requests": True,
        "expertise": ["briefing ministers"],
    }
    assert mentor.call("PUT", "profile", "/v1/profiles/me", json=profile).status_code == 200
    goals = {"roles": {"mentee": True}, "goals": ["briefing ministers"], "department": "dwp"}
    assert mentee.call("PUT", "profile", "/v1/profiles/me", json=goals).status_code == 200
    return mentor, mentee


def test_a_declined_mentee_cannot_ask_the_same_mentor_again_at_once(
    running_system: System,
) -> None:
    mentor, mentee = _mentor_and_mentee(running_system, str(int(time.time() * 1000)))

    def ask() -> httpx.Response | None:
        response = mentee.call(
            "POST", "matching", "/v1/matches", json={"mentor_id": mentor.id, "message": "Hello"}
        )
        # Until matching has applied the mentor's profile it does not know them as one.
        waiting = response.status_code == 404 or (
            response.status_code == 422 and response.json()["error"]["code"] == "not_a_mentor"
        )
        return None if waiting else response

    def ask_once_both_are_indexed() -> httpx.Response | None:
        response = ask()
        # ...and until it has applied the mentee's own, it asks them to write one first.
        not_yet = response is not None and response.status_code == 409
        if not_yet and response.json()["error"]["code"] == "profile_not_indexed":
            return None
        return response

    first = eventually(ask_once_both_are_indexed)
    assert first.status_code == 201, first.text
    declined = mentor.call("POST", "matching", f"/v1/matches/{first.json()['id']}/decline", json={})
    assert declined.status_code == 200, declined.text

    again = ask()

    assert again is not None
    assert again.status_code == 409, again.text
    assert "30 days" in again.json()["error"]["message"] or again.json()["error"]["details"]
