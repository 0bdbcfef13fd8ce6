"""The demo data files beside this module, read and checked.

``population.json`` says how the synthetic civil servants spread: departments (sign-in
domain, a weight roughly following headcount, multipliers on the default profession
weights, and regions where a department is not spread like the rest), profession,
region and grade weights, which regions are within easy reach of each other, and the
chance of each role by grade (seniority makes mentoring and coaching likelier, and
seeking a mentor less so). ``names.json`` holds diverse British first and last names.
``phrases.json`` holds the phrase banks profiles are written from: per family of
related professions the expertise, the goals in a mentee's own words (unlike the
expertise phrases), the experience and job titles, plus the phrases every profession
shares. ``activity.json`` holds what demo mentees and mentors say to each other.

Phone numbers come from Ofcom's ranges reserved for drama (07700 900xxx, and the
towns' ``xxx 496 0xxx`` in ``landline_prefixes``), so no real number is ever printed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "DATA_FILES",
    "DemoActivityText",
    "DemoData",
    "DemoDataError",
    "Family",
    "demo_activity_text",
    "demo_data",
    "load_demo_activity_text",
    "load_demo_data",
]

DATA_FILES = ("population.json", "names.json", "phrases.json", "activity.json")
"""Package data of ``mentor_match_ops.demo`` (ops/pyproject.toml must ship them)."""

_Model = TypeVar("_Model", bound=BaseModel)
_Phrases = tuple[str, ...]


class DemoDataError(ValueError):
    """A demo data file is missing, is not JSON, or does not say what the generator needs."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Data):
    """Where a department's people sign in and how they spread."""

    domain: str = Field(min_length=3)
    weight: float = Field(gt=0)
    professions: dict[str, float] = Field(description="Multipliers on the profession weights")
    regions: dict[str, float] | None = Field(
        default=None, description="Replaces the default region weights"
    )


class Grade(_Data):
    """How common a grade is and what people at that grade tend to do."""

    weight: float = Field(gt=0)
    mentor_chance: float = Field(ge=0, le=1)
    coach_chance: float = Field(ge=0, le=1)
    fewest_years: int = Field(ge=0, description="Years in the profession, at least")
    most_years: int = Field(ge=2, description="Years in the profession, at most")

    @model_validator(mode="after")
    def _years_in_order(self) -> Grade:
        if self.fewest_years > self.most_years:
            raise ValueError("fewest_years is more than most_years")
        return self


class Population(_Data):
    """``population.json``."""

    departments: dict[str, Department] = Field(min_length=1)
    professions: dict[str, float] = Field(min_length=1)
    regions: dict[str, float] = Field(min_length=1)
    neighbours: dict[str, tuple[str, ...]]
    grades: dict[str, Grade] = Field(min_length=1)
    mentor_also_mentee_chance: float = Field(ge=0, le=1)
    landline_prefixes: dict[str, str]


class Names(_Data):
    """``names.json``."""

    first_names: _Phrases = Field(min_length=1)
    last_names: _Phrases = Field(min_length=1)


class Titles(_Data):
    """Job titles of a family by grade group (senior civil servants lead an area)."""

    junior: _Phrases = Field(min_length=1)
    eo_heo: _Phrases = Field(min_length=1)
    seo_g7: _Phrases = Field(min_length=1)
    g6: _Phrases = Field(min_length=1)


class Family(_Data):
    """Phrase banks and job titles for a group of related professions."""

    expertise: _Phrases = Field(min_length=4)
    goals: _Phrases = Field(min_length=2, description="In a mentee's own words")
    goal_sentences: _Phrases = Field(min_length=1)
    experience: _Phrases = Field(min_length=1)
    titles: Titles
    areas: _Phrases = Field(min_length=1, description="What a senior civil servant leads")


class Phrases(_Data):
    """``phrases.json``."""

    families: dict[str, Family] = Field(min_length=1)
    profession_families: dict[str, str]
    profession_expertise: dict[str, _Phrases] = Field(
        description="Phrases only some professions of a family have; one always comes first"
    )
    leadership_expertise: _Phrases = Field(min_length=2)
    coaching_expertise: _Phrases = Field(min_length=1)
    career_goals: _Phrases = Field(min_length=2)
    career_goal_sentences: _Phrases = Field(min_length=1)
    coach_approach: _Phrases = Field(min_length=1)
    routes_in: _Phrases = Field(min_length=1)


class DemoActivityText(_Data):
    """``activity.json``: the demo requests' messages and the accepting mentor's reply."""

    request_messages: _Phrases = Field(min_length=1)
    reply: str = Field(min_length=1)


class DemoData(_Data):
    """Everything the generator draws from, consistent across the files."""

    population: Population
    names: Names
    phrases: Phrases

    @model_validator(mode="after")
    def _consistent(self) -> DemoData:
        population, phrases = self.population, self.phrases
        professions, neighbours = set(population.professions), population.neighbours
        regions = set(population.regions)
        for code, department in population.departments.items():
            _known(f"professions of department {code!r}", department.professions, professions)
            regions |= set(department.regions or {})
        _known("regions", regions, set(neighbours))
        for region, near in neighbours.items():
            _known(f"neighbours of {region!r}", near, set(neighbours))
        _known("professions", professions, set(phrases.profession_families))
        _known("profession families", phrases.profession_families.values(), phrases.families)
        _known("profession_expertise", phrases.profession_expertise, professions)
        return self


def _known(what: str, codes: Iterable[str], known: Iterable[str]) -> None:
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise ValueError(f"{what}: no entry for {unknown}")


def _read(folder: Traversable, name: str, model: type[_Model]) -> _Model:
    try:
        return model.model_validate(json.loads(folder.joinpath(name).read_text("utf-8")))
    except (OSError, ValueError) as problem:  # ValidationError and JSONDecodeError included
        raise DemoDataError(f"demo data file {name}: {problem}") from problem


def load_demo_data(folder: Traversable | None = None) -> DemoData:
    """Read and check the people's data files (by default the packaged ones).

    Raises:
        DemoDataError: A file is missing or malformed, or the files disagree.
    """
    folder = folder or resources.files(__package__)
    population = _read(folder, "population.json", Population)
    names = _read(folder, "names.json", Names)
    phrases = _read(folder, "phrases.json", Phrases)
    try:
        return DemoData(population=population, names=names, phrases=phrases)
    except ValidationError as problem:
        raise DemoDataError(f"demo data files disagree: {problem}") from problem


def load_demo_activity_text(folder: Traversable | None = None) -> DemoActivityText:
    """Read the demo activity's messages (by default the packaged ones).

    Raises:
        DemoDataError: The file is missing or malformed.
    """
    return _read(folder or resources.files(__package__), "activity.json", DemoActivityText)


@cache
def demo_data() -> DemoData:
    """The packaged demo data, read once."""
    return load_demo_data()


@cache
def demo_activity_text() -> DemoActivityText:
    """The packaged demo activity's messages, read once."""
    return load_demo_activity_text()
