"""Matching keeps the one anonymity rule, seen from outside on the running system.

Every service its own process, the embedded broker and the mail sink; people sign up
and verify through the public APIs only.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import System, eventually, verification_token

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PASSWORD = "velvet compass orchard seventy lantern"


class Member:
    """Someone using the service through its public APIs."""

    def __init__(self, system: System, name: str) -> None:
        self.system, self.name = system, name
        self.email = f"{name.split()[0].lower()}.{uuid.uuid4().hex[:8]}@dwp.gov.uk"
        self.client = httpx.Client(timeout=30)
        self.token = ""
        self.id = ""

    def call(self, method: str, service: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.request(
            method, self.system.url(service) + path, headers=headers, **kwargs
        )

    def join(self, profile: dict[str, Any]) -> None:
        """Register, verify, sign in, write the profile and wait until matching has it."""
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
        updated = self.call("PUT", "profile", "/v1/profiles/me", json=profile)
        assert updated.status_code == 200, updated.text
        version = updated.json()["version"]
        self.id = updated.json()["id"]
        eventually(
            lambda: (
                self.call("GET", "matching", "/v1/index/status", params={"profile_id": self.id})
                .json()
                .get("version")
                == version
            )
        )


MENTOR_PROFILE: dict[str, Any] = {
    "department": "moj",
    "profession": "policy",
    "grade": "G6",
    "region": "wales",
    "roles": {"mentor": True},
    "capacity": 2,
    "accepting_requests": True,
    "expertise": ["navigating spending reviews", "briefing ministers on budgets"],
}


def test_matching_shows_anonymous_people_as_initials_department_and_grade_and_no_region_finds_them(
    running_system: System,
) -> None:
    mentor = Member(running_system, "Olwen Pryce")
    hidden = Member(running_system, "Tegwen Llewellyn")
    mentor.join(MENTOR_PROFILE)
    hidden.join(
        {
            "department": "dwp",
            "profession": "policy",
            "grade": "SEO",
            "region": "wales",
            "roles": {"mentee": True},
            "goals": ["navigating spending reviews", "briefing ministers on budgets"],
            "anonymous": True,
        }
    )

    def search(**filters: Any) -> dict[str, Any]:
        response = mentor.call(
            "POST",
            "matching",
            "/v1/search",
            json={"text": "spending reviews", "role": "mentee", "filters": filters},
        )
        assert response.status_code == 200, response.text
        return {hit["profile_id"]: hit for hit in response.json()}

    card = search()[hidden.id]["card"]
    assert card["display_name"] == "T. L."
    assert (card["department"], card["grade"]) == ("dwp", "SEO")
    assert (card["profession"], card["region"]) == (None, None)
    assert hidden.id not in search(region="wales"), "a region filter never finds them"
    suggested = mentor.call(
        "GET", "matching", "/v1/suggestions", params={"role": "mentee", "region": "wales"}
    )
    assert suggested.status_code == 200, suggested.text
    assert hidden.id not in {s["profile_id"] for s in suggested.json()}
    everywhere = mentor.call("GET", "matching", "/v1/suggestions", params={"role": "mentee"})
    shown = {s["profile_id"]: s for s in everywhere.json()}
    assert shown[hidden.id]["card"]["display_name"] == "T. L."
    assert not any(
        "Tegwen" in reason or "region" in reason for reason in shown[hidden.id]["reasons"]
    )
