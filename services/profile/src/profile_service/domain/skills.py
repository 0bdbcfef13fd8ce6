"""The skill ids a profile may confirm (a copy of the matching service's vocabulary).

Services never import each other, and a person correcting their skills must get a
clear 422 for an id that does not exist rather than a tag silently dropped later.
So this service ships the same data file (``domain/data/skills.v1.json``); a test
checks that the two copies are identical. Only the ids are used here: names,
paraphrases and tagging belong to matching (``GET /v1/skills``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources

from profile_service.domain.errors import UnknownSkill

VOCABULARY_FILE = "skills.v1.json"


@cache
def skill_ids() -> frozenset[str]:
    """Every skill id of the vocabulary (read once, on first use)."""
    text = (
        resources.files("profile_service.domain")
        .joinpath("data", VOCABULARY_FILE)
        .read_text(encoding="utf-8")
    )
    return frozenset(str(skill["id"]) for skill in json.loads(text)["skills"])


def check_skill_ids(field: str, ids: Iterable[str]) -> None:
    """Refuse ids that are not in the vocabulary.

    Raises:
        UnknownSkill: Listing every unknown id with its field.
    """
    known = skill_ids()
    unknown = [skill_id for skill_id in ids if skill_id not in known]
    if unknown:
        raise UnknownSkill(
            f"Unknown skill ids in {field}; see GET /v1/skills for the vocabulary.",
            details=[{"field": field, "code": skill_id} for skill_id in unknown],
        )
