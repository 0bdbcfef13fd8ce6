"""Matching against repeated asking, seen from outside on the running system."""

from __future__ import annotations

import pytest

from tests.conftest import System
from tests.privacy.test_matching_privacy import MENTOR_PROFILE, Member

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_a_declined_mentee_cannot_ask_the_same_mentor_again_for_thirty_days(
    running_system: System,
) -> None:
    mentor = Member(running_system, "Rhian Bevan")
    asker = Member(running_system, "Dylan Morgan")
    mentor.join(MENTOR_PROFILE)
    asker.join(
        {
            "department": "dwp",
            "grade": "SEO",
            "roles": {"mentee": True},
            "goals": ["navigating spending reviews"],
        }
    )
    first = asker.call("POST", "matching", "/v1/matches", json={"mentor_id": mentor.id})
    assert first.status_code == 201, first.text
    declined = mentor.call("POST", "matching", f"/v1/matches/{first.json()['id']}/decline")
    assert declined.status_code == 200, declined.text
    again = asker.call("POST", "matching", "/v1/matches", json={"mentor_id": mentor.id})
    assert again.status_code == 409, again.text
    error = again.json()["error"]
    assert error["code"] == "rerequest_too_soon"
    assert error["details"]["allowed_from"]
