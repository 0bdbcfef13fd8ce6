"""Matching's copy of the profession names agrees with the profile service's list."""

from __future__ import annotations

from matching_service.domain.reference import PROFESSION_NAMES
from profile_service.domain.reference import default_reference_data


def test_profession_names_match_the_profile_reference_data() -> None:
    reference = default_reference_data()
    names = {entry.code: entry.name for entry in reference.entries("professions")}
    assert dict(PROFESSION_NAMES) == names
