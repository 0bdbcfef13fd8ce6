"""Skills a person confirms on their profile: checked against the vocabulary, sent on."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mentor_shared.events.schemas import Roles
from profile_service.domain.errors import UnknownSkill
from profile_service.domain.profiles import Profile, ProfileUpdate, to_profile_upserted
from profile_service.domain.reference import ReferenceData, default_reference_data

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return default_reference_data()


@pytest.fixture
def profile() -> Profile:
    return Profile.new("p-1", "Priya Patel")


def test_confirmed_skills_are_stored_and_travel_in_the_event(
    profile: Profile, reference: ReferenceData
) -> None:
    updated = profile.apply_update(
        ProfileUpdate(
            roles=Roles(mentor=True, mentee=True),
            skills_offered=["stakeholder-management", "budgeting", "budgeting"],
            skills_sought=["public-speaking"],
        ),
        reference,
    )
    assert updated.skills_offered == ["stakeholder-management", "budgeting"]
    event = to_profile_upserted(updated)
    assert event.skills_offered == ["stakeholder-management", "budgeting"]
    assert event.skills_sought == ["public-speaking"]


def test_unknown_skill_ids_are_refused_with_each_named(
    profile: Profile, reference: ReferenceData
) -> None:
    with pytest.raises(UnknownSkill) as caught:
        profile.apply_update(
            ProfileUpdate(skills_sought=["public-speaking", "juggling", "fire-eating"]), reference
        )
    assert caught.value.details == [
        {"field": "skills_sought", "code": "juggling"},
        {"field": "skills_sought", "code": "fire-eating"},
    ]
    assert "GET /v1/skills" in caught.value.message


def test_skill_ids_must_look_like_ids() -> None:
    with pytest.raises(ValidationError, match="at least 1 character"):
        ProfileUpdate.model_validate({"skills_offered": [""]})
    with pytest.raises(ValidationError, match="pattern"):
        ProfileUpdate.model_validate({"skills_offered": ["Public Speaking"]})
    with pytest.raises(ValidationError, match="at most 30"):
        ProfileUpdate.model_validate({"skills_offered": [f"s{i}" for i in range(31)]})


def test_clearing_confirmed_skills_is_allowed(profile: Profile, reference: ReferenceData) -> None:
    tagged = profile.apply_update(ProfileUpdate(skills_offered=["budgeting"]), reference)
    cleared = tagged.apply_update(ProfileUpdate(skills_offered=[]), reference)
    assert cleared.skills_offered == []
    assert cleared.version == tagged.version + 1


def test_the_vocabulary_copy_equals_the_matching_services() -> None:
    ours = ROOT / "services/profile/src/profile_service/domain/data/skills.v1.json"
    theirs = ROOT / "services/matching/src/matching_service/data/skills.v1.json"
    assert ours.read_bytes() == theirs.read_bytes(), (
        "copy services/matching/src/matching_service/data/skills.v1.json to the profile service"
    )
