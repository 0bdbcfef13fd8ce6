"""Synthetic civil servants for demonstrations and local runs (``DEMO_DATA``).

:func:`demo_people` builds a deterministic population from a seed and the data files
beside this module (see :mod:`mentor_match_ops.demo.data`): real departments,
professions, grades and regions, names from diverse British first and last names, and
profile text written from profession-specific phrase banks. Mentees describe their
goals in their own words rather than in the phrases mentors use, so matching has to
work on meaning, not on shared keywords.

The runner writes them to a file (:func:`write_people_file`) that the profile service
reads at start (``DEMO_PEOPLE_FILE``) and stores once, as verified accounts.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from mentor_match_ops.demo.data import DemoData, Family, demo_data
from mentor_shared.events.schemas import Roles
from profile_service.demo import DemoPerson, write_demo_people
from profile_service.domain.contact import Contact
from profile_service.domain.profiles import Profile, ProfileUpdate
from profile_service.domain.reference import ReferenceData, default_reference_data

__all__ = ["DemoPerson", "demo_people", "write_people_file"]

_SCS_TITLES = {
    "SCS1": "Deputy Director, {area}",
    "SCS2": "Director, {area}",
    "SCS3": "Director General, {area}",
}
_TITLE_GROUPS = {
    "AA": "junior",
    "AO": "junior",
    "EO": "eo_heo",
    "HEO": "eo_heo",
    "SEO": "seo_g7",
    "G7": "seo_g7",
}


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys], k=1)[0]


def _ascii_slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in text.lower() if char.isalnum() or char == "-")


def _join(phrases: Sequence[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " and " + phrases[-1]


def _job_title(rng: random.Random, family: Family, grade: str) -> str:
    if grade.startswith("SCS"):
        area = rng.choice(family.areas)
        return _SCS_TITLES.get(grade, "Permanent Secretary").format(area=area)
    titles: tuple[str, ...] = getattr(family.titles, _TITLE_GROUPS.get(grade, "g6"))
    return rng.choice(titles)


def _phone(rng: random.Random, region: str, landlines: Mapping[str, str]) -> str:
    if rng.random() < 0.6 or region not in landlines:
        return f"07700 900{rng.randrange(1000):03d}"
    return f"{landlines[region]}{rng.randrange(1000):03d}"


def _person(index: int, rng: random.Random, data: DemoData, reference: ReferenceData) -> DemoPerson:
    """Person number ``index`` (0-based); consumes ``rng`` the same way whatever the count."""
    population, phrases = data.population, data.phrases
    account_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    first, last = rng.choice(data.names.first_names), rng.choice(data.names.last_names)
    departments = population.departments
    department_code = _weighted(rng, {code: d.weight for code, d in departments.items()})
    department = departments[department_code]
    profession = _weighted(
        rng,
        {
            code: w * department.professions.get(code, 1.0)
            for code, w in population.professions.items()
        },
    )
    family = phrases.families[phrases.profession_families[profession]]
    grade = _weighted(rng, {code: g.weight for code, g in population.grades.items()})
    region = _weighted(rng, department.regions or population.regions)
    neighbours = population.neighbours[region]
    travel = [region, *rng.sample(neighbours, k=rng.randint(0, min(2, len(neighbours))))]
    remote_ok = rng.random() < 0.75

    chances = population.grades[grade]
    mentor = rng.random() < chances.mentor_chance
    coach = rng.random() < chances.coach_chance
    # Everyone who neither mentors nor coaches is a mentee; of those who do, a few also
    # want a mentor themselves.
    mentee = not (mentor or coach) or rng.random() < population.mentor_also_mentee_chance
    capacity = max(rng.randint(1, 4) if mentor else 0, rng.randint(2, 6) if coach else 0)
    accepting = rng.random() < 0.9 if (mentor or coach) else True
    anonymous = mentee and not (mentor or coach) and rng.random() < 0.12

    job_title = _job_title(rng, family, grade)
    years = rng.randint(max(chances.fewest_years, 2), chances.most_years)
    senior = grade in {"SEO", "G7", "G6"} or grade.startswith("SCS")
    specific = phrases.profession_expertise.get(profession, ())
    own = rng.sample(family.expertise, k=rng.randint(2, 4))
    if specific:
        own = [rng.choice(specific), *(phrase for phrase in own if phrase not in specific)]
    cross = rng.sample(
        phrases.leadership_expertise, k=rng.randint(1, 2) if senior else rng.randint(0, 1)
    )
    coaching = rng.sample(phrases.coaching_expertise, k=1) if coach else []
    expertise = [*own, *cross, *coaching][:6]
    if len(expertise) < 3:
        extra = [p for p in family.expertise if p not in expertise]
        expertise += rng.sample(extra, k=3 - len(expertise))

    profession_name = reference.name("professions", profession)
    department_name = reference.name("departments", department_code)
    openers = (
        f"I've worked in {profession_name.lower()} for {years} years and I'm currently "
        f"{job_title} at {department_name}.",
        f"{job_title} at {department_name}, with {years} years in {profession_name.lower()}.",
        f"I'm in the {profession_name} profession at {grade}, working for {department_name}.",
    )
    offers = (
        f"I can help with {_join(expertise[:2])}.",
        f"Happy to talk through {expertise[0]}, especially if it's new to you.",
        f"Most of my recent work has involved {_join(expertise[:2])}.",
        f"People usually come to me about {expertise[-1]}.",
    )
    sentences = [rng.choice(openers), *rng.sample(offers, k=rng.randint(1, 2))]
    if coach:
        sentences.append(rng.choice(phrases.coach_approach))
    expertise_text = " ".join(sentences[:4])
    experience = rng.sample(family.experience, k=min(len(family.experience), rng.randint(1, 2)))
    experience_text = " ".join([rng.choice(phrases.routes_in), *experience])

    goals: list[str] = []
    goals_text = ""
    if mentee:
        goals = [
            *rng.sample(family.goals, k=rng.randint(1, 2)),
            *rng.sample(phrases.career_goals, k=rng.randint(1, 2)),
        ]
        said = [
            rng.choice(family.goal_sentences),
            *rng.sample(phrases.career_goal_sentences, k=rng.randint(0, 1)),
        ]
        intro = rng.choice(
            (
                f"I'm at {grade} in {department_name} and would like some help with {goals[0]}.",
                f"I'm looking for a mentor for {goals[0]} and {goals[-1]}.",
                f"Two things I'm working on: {goals[0]} and {goals[-1]}.",
            )
        )
        goals_text = " ".join([intro, *said])

    email = f"{_ascii_slug(first)}.{_ascii_slug(last)}{index + 1}@{department.domain}"
    phone = _phone(rng, region, population.landline_prefixes) if rng.random() < 0.45 else None
    update = ProfileUpdate(
        department=department_code,
        profession=profession,
        grade=grade,
        region=region,
        travel_regions=travel,
        remote_ok=remote_ok,
        job_title=job_title,
        roles=Roles(mentor=mentor, mentee=mentee, coach=coach),
        capacity=capacity,
        accepting_requests=accepting,
        expertise=expertise,
        expertise_text=expertise_text,
        goals=goals,
        goals_text=goals_text,
        experience_text=experience_text,
        anonymous=anonymous,
        contact=Contact(email=email, phone=phone),
    )
    blank = Profile.new(account_id, f"{first} {last}", contact_email=email)
    # Stored as the first version, like an imported profile: nobody saw an earlier one.
    profile = blank.apply_update(update, reference).model_copy(update={"version": 1})
    return DemoPerson(email=email, profile=profile)


def demo_people(
    count: int, *, seed: int = 7, reference: ReferenceData | None = None
) -> list[DemoPerson]:
    """Build ``count`` synthetic civil servants, the same ones for the same seed.

    The first ``n`` people are the same whatever ``count`` is, so raising the count
    later only adds people.

    Raises:
        ValueError: ``count`` is negative.
        DemoDataError: A data file is missing or malformed.
        InvalidProfile, InvalidReference: A phrase bank breaks a profile rule (a defect).
    """
    if count < 0:
        raise ValueError("count must not be negative")
    data = demo_data()
    reference = reference or default_reference_data()
    rng = random.Random(seed)
    return [_person(index, rng, data, reference) for index in range(count)]


def write_people_file(path: Path, count: int) -> list[DemoPerson]:
    """Write the first ``count`` demo people (seed 7) where the profile service reads them."""
    people = demo_people(count)
    write_demo_people(path, people)
    return people
