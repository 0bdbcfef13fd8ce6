"""What the evaluation sets share: the record shape, the grading rule and the hard filters.

Each generator (eval_form.py, eval_sheet.py) keeps its own skills vocabulary, templates
and noise; only this file is common to them. Skills are drawn for every person BEFORE
any text is written, and relevance is computed from the skills alone:

  2  the mentor offers the request's primary skill
  1  the mentor offers the request's secondary skill, or another skill of the primary
     skill's group
  0  otherwise (not stored)

Judgements cover only the mentors that pass the request's hard filters (role, the
request's structured filters), because no method may suggest anyone else.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
GRADES = ("AA", "AO", "EO", "HEO", "SEO", "G7", "G6", "SCS1", "SCS2")
SPLIT_SEEDS = {"dev": 1, "test": 2}
"""Added to a generator's base seed: the dev and test splits share nothing else."""


def new_id(rng: random.Random) -> str:
    """A deterministic UUID string from the generator's random stream."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class Person:
    """One generated person: structured fields, eval skills and the free text."""

    profile_id: str
    role: str  # "mentor" or "mentee"
    department: str | None
    grade: str | None
    region: str | None
    profession: str | None = None
    travel_regions: list[str] = field(default_factory=list)
    remote_ok: bool = True
    job_title: str | None = None
    skills: list[str] = field(default_factory=list)
    expertise: list[str] = field(default_factory=list)
    expertise_text: str = ""
    experience_text: str = ""
    goals: list[str] = field(default_factory=list)
    goals_text: str = ""

    def record(self) -> dict[str, Any]:
        """The JSON record (the shape bench/matching_quality.py reads)."""
        return {
            "profile_id": self.profile_id,
            "roles": {"mentor": self.role == "mentor", "mentee": self.role == "mentee"},
            "department": self.department,
            "profession": self.profession,
            "grade": self.grade,
            "region": self.region,
            "travel_regions": self.travel_regions,
            "remote_ok": self.remote_ok,
            "job_title": self.job_title,
            "expertise": self.expertise,
            "expertise_text": self.expertise_text,
            "experience_text": self.experience_text,
            "goals": self.goals,
            "goals_text": self.goals_text,
            "capacity": 2 if self.role == "mentor" else 0,
            "eval_skills": self.skills,
        }


@dataclass
class Request:
    """A mentee's request: the person, the skills it is about and its hard filters."""

    person: Person
    primary: str
    secondary: str | None
    filters: dict[str, Any]


def eligible(mentor: dict[str, Any], mentee: dict[str, Any], filters: dict[str, Any]) -> bool:
    """Whether a mentor passes a request's hard filters (mirrors the service's rules)."""
    if not mentor["roles"].get("mentor"):
        return False
    own = mentee.get("department")
    if (
        filters.get("exclude_own_department")
        and own is not None
        and mentor.get("department") == own
    ):
        return False
    minimum = filters.get("min_grade")
    rank = GRADES.index(mentor["grade"]) if mentor.get("grade") in GRADES else -1
    if minimum is not None and rank < GRADES.index(minimum):
        return False
    region = filters.get("region")
    if region is None or mentor.get("region") == region:
        return True
    if region in mentor.get("travel_regions", []):
        return True
    return bool(filters.get("accept_remote", True) and mentor.get("remote_ok", True))


def grade(
    mentor_skills: list[str], primary: str, secondary: str | None, group_of: dict[str, str]
) -> int:
    """Graded relevance of a mentor's skills to a request (see the module docstring)."""
    if primary in mentor_skills:
        return 2
    if secondary is not None and secondary in mentor_skills:
        return 1
    if any(group_of[skill] == group_of[primary] for skill in mentor_skills):
        return 1
    return 0


def assemble(
    name: str,
    split: str,
    seed: int,
    mentors: list[Person],
    requests: list[Request],
    group_of: dict[str, str],
) -> dict[str, Any]:
    """The set as one JSON-ready document, with the judgements."""
    mentor_records = [mentor.record() for mentor in mentors]
    request_records = []
    judgements: dict[str, dict[str, int]] = {}
    for request in requests:
        record = request.person.record()
        request_records.append(
            {
                **record,
                "primary_skill": request.primary,
                "secondary_skill": request.secondary,
                "filters": request.filters,
            }
        )
        grades: dict[str, int] = {}
        for mentor, mentor_record in zip(mentors, mentor_records, strict=True):
            if not eligible(mentor_record, record, request.filters):
                continue
            value = grade(mentor.skills, request.primary, request.secondary, group_of)
            if value:
                grades[mentor.profile_id] = value
        judgements[request.person.profile_id] = grades
    return {
        "set": name,
        "split": split,
        "seed": seed,
        "mentors": mentor_records,
        "mentees": request_records,
        "judgements": judgements,
    }


def write(document: dict[str, Any], path: Path) -> None:
    """Write a set compactly (one line per record keeps diffs readable)."""
    lines = ["{"]
    for key in ("set", "split", "seed"):
        lines.append(f"{json.dumps(key)}: {json.dumps(document[key])},")
    for key in ("mentors", "mentees"):
        rows = ",\n".join(json.dumps(row, ensure_ascii=False) for row in document[key])
        lines.append(f"{json.dumps(key)}: [\n{rows}\n],")
    rows = ",\n".join(
        f"{json.dumps(key)}: {json.dumps(value, sort_keys=True)}"
        for key, value in document["judgements"].items()
    )
    lines.append(f'"judgements": {{\n{rows}\n}}')
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
