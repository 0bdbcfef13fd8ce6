"""Demo people: data files shipped with the operators' package, turned into the same
people on every machine, and handed to the profile service in a file it reads."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
import tomllib
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from mentor_match_ops.demo.data import (
    DATA_FILES,
    DemoDataError,
    load_demo_activity_text,
    load_demo_data,
)
from mentor_match_ops.demo.people import (
    DemoPerson,
    demo_people,
    write_people_file,
)
from mentor_match_ops.runner import RunnerSettings, service_env
from profile_service.demo import read_demo_people
from profile_service.domain.allowlist import default_allowed_domains
from profile_service.domain.profiles import Profile
from profile_service.domain.reference import default_reference_data

SCS = {"SCS1", "SCS2", "SCS3", "SCS4"}
ROOT = Path(__file__).resolve().parents[2]
PACKAGED = resources.files("mentor_match_ops.demo")


@pytest.fixture(scope="module")
def population() -> list[DemoPerson]:
    return demo_people(300, seed=7)


# --- the data files ---------------------------------------------------------------------


def test_every_data_file_is_in_the_package_declared_as_package_data_and_loads() -> None:
    declared = tomllib.loads((ROOT / "ops" / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["mentor_match_ops.demo"]
    for name in DATA_FILES:
        assert PACKAGED.joinpath(name).is_file(), name
        assert any(fnmatch.fnmatch(name, pattern) for pattern in declared), name
    present = {entry.name for entry in PACKAGED.iterdir() if entry.name.endswith(".json")}
    assert present == set(DATA_FILES)
    assert load_demo_data().names.first_names
    assert load_demo_activity_text().reply


def test_the_packaged_data_uses_only_codes_of_the_profile_reference_lists() -> None:
    data, reference = load_demo_data(), default_reference_data()
    population = data.population
    regions = set(population.regions).union(
        *(d.regions or {} for d in population.departments.values())
    )
    assert set(population.departments) <= set(reference.codes("departments"))
    assert set(population.professions) <= set(reference.codes("professions"))
    assert set(population.grades) <= set(reference.codes("grades"))
    assert regions <= set(reference.codes("regions"))
    allowed = default_allowed_domains()
    for department in population.departments.values():
        assert str(allowed.check(f"someone@{department.domain}")).endswith(department.domain)


def _copy_of_the_data(tmp_path: Path) -> Path:
    for name in DATA_FILES:
        with resources.as_file(PACKAGED.joinpath(name)) as source:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def _edit(folder: Path, name: str, change: object) -> None:
    path = folder / name
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))


def test_a_copy_of_the_packaged_files_loads_the_same_data(tmp_path: Path) -> None:
    assert load_demo_data(_copy_of_the_data(tmp_path)) == load_demo_data()


@pytest.mark.parametrize(
    ("name", "damage", "says"),
    [
        ("names.json", lambda path: path.unlink(), "names.json"),
        ("phrases.json", lambda path: path.write_text('{"families": '), "phrases.json"),
        (
            "population.json",
            lambda path: _edit(
                path.parent, path.name, lambda d: d["grades"]["G7"].pop("most_years")
            ),
            "most_years",
        ),
        (
            "names.json",
            lambda path: _edit(path.parent, path.name, lambda d: d.update(first_names=[])),
            "first_names",
        ),
        (
            "phrases.json",
            lambda path: _edit(
                path.parent, path.name, lambda d: d["profession_families"].pop("policy")
            ),
            "no entry for ['policy']",
        ),
        (
            "population.json",
            lambda path: _edit(
                path.parent, path.name, lambda d: d["neighbours"]["wales"].append("atlantis")
            ),
            "atlantis",
        ),
    ],
    ids=["missing", "not-json", "field-missing", "empty-list", "unknown-family", "unknown-region"],
)
def test_a_missing_or_malformed_data_file_is_refused_saying_what_is_wrong(
    tmp_path: Path, name: str, damage: object, says: str
) -> None:
    folder = _copy_of_the_data(tmp_path)
    damage(folder / name)  # type: ignore[operator]
    with pytest.raises(DemoDataError, match=r"demo data") as refused:
        load_demo_data(folder)
    assert says in str(refused.value)


def test_a_missing_activity_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DemoDataError, match=r"activity\.json"):
        load_demo_activity_text(tmp_path)


# --- the people -------------------------------------------------------------------------


def test_make_run_creates_the_same_people_as_before_the_data_moved(
    population: list[DemoPerson],
) -> None:
    # Pinned from the generator as it was in the profile package (seed 7): a change to
    # the data files or the generator changes the people everyone's `make run` creates.
    assert [p.email for p in population[:3]] == [
        "bethan.boateng1@dvla.gov.uk",
        "rhys.obi2@justice.gov.uk",
        "naomi.nguyen3@dwp.gov.uk",
    ]
    assert population[0].account_id == "6513270e-269e-4d37-b2a7-4de452e6b438"
    emails = "\n".join(p.email for p in population)
    texts = "\n".join(f"{p.profile.expertise_text}|{p.profile.goals_text}" for p in population)
    assert _digest(emails) == "d009dd2002fd68c73f9abf85086619b8f4551d5a0c259f1a690ff8089b0fc396"
    assert _digest(texts) == "572a359d153e69175b5fb9babd4283c70e5048264fef85cab6170c4f09fcd13c"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_gives_the_same_people_and_another_seed_others() -> None:
    first, again, other = demo_people(40, seed=3), demo_people(40, seed=3), demo_people(40, seed=4)
    assert first == again
    assert [p.email for p in first] != [p.email for p in other]
    assert demo_people(300, seed=3)[:40] == first  # a larger count only adds people


def test_every_demo_profile_is_valid_and_every_address_is_allowed(
    population: list[DemoPerson],
) -> None:
    reference = default_reference_data()
    allowed = default_allowed_domains()
    departments = load_demo_data().population.departments
    assert len({person.email.lower() for person in population}) == len(population)
    for person in population:
        profile = person.profile
        assert Profile.model_validate(profile.model_dump()) == profile
        assert profile.with_canonical_references(reference) == profile
        assert str(allowed.check(person.email)) == person.email
        assert profile.department is not None
        assert person.email.endswith("@" + departments[profile.department].domain)
        assert profile.contact.email == person.email
        assert 3 <= len(profile.expertise) <= 6
        assert profile.expertise_text.count(".") >= 2
        assert profile.experience_text
        assert profile.job_title
        assert profile.region in profile.travel_regions
        if profile.roles.mentee:
            assert 2 <= len(profile.goals) <= 4
            assert profile.goals_text
        else:
            assert profile.goals == []
            assert profile.goals_text == ""


def test_demo_population_has_a_realistic_spread(population: list[DemoPerson]) -> None:
    profiles = [person.profile for person in population]
    grades = Counter(p.grade for p in profiles)
    regions = Counter(p.region for p in profiles)
    assert len({p.department for p in profiles}) >= 20
    assert len({p.profession for p in profiles}) >= 12
    assert len(grades) >= 8
    assert sum(grades[g] for g in ("EO", "HEO", "SEO", "G7")) > 5 * sum(grades[g] for g in SCS)
    assert regions.most_common(1)[0][0] == "london"
    assert len(regions) >= 10

    mentors = [p for p in profiles if p.roles.mentor]
    coaches = [p for p in profiles if p.roles.coach]
    mentees = [p for p in profiles if p.roles.mentee]
    assert 0.25 <= len(mentors) / len(profiles) <= 0.45
    assert 0.05 <= len(coaches) / len(profiles) <= 0.18
    assert 0.5 <= len(mentees) / len(profiles) <= 0.75
    assert any(p.roles.mentor and p.roles.mentee for p in profiles)
    assert all(1 <= p.capacity <= 6 for p in mentors + coaches)
    assert all(p.capacity >= 2 for p in coaches)
    assert sum(p.accepting_requests for p in mentors) > 0.75 * len(mentors)
    anonymous = [p for p in profiles if p.anonymous]
    assert 0.04 <= len(anonymous) / len(mentees) <= 0.2
    assert all(p.roles.mentee and not p.roles.mentor for p in anonymous)
    assert 0.2 < sum(p.contact.phone is not None for p in profiles) / len(profiles) < 0.7


def test_mentees_word_their_goals_differently_from_expertise(
    population: list[DemoPerson],
) -> None:
    expertise = {phrase.casefold() for person in population for phrase in person.profile.expertise}
    goals = {phrase.casefold() for person in population for phrase in person.profile.goals}
    assert goals
    assert not goals & expertise
    assert len({person.profile.goals_text for person in population if person.profile.goals}) > 100


# --- handed to the profile service ------------------------------------------------------


def test_the_runner_writes_the_people_the_profile_service_reads(tmp_path: Path) -> None:
    path = tmp_path / "demo-people.jsonl"
    written = write_people_file(path, 25)
    assert written == demo_people(25)
    assert read_demo_people(path) == written
    write_people_file(path, 5)  # replaced whole, not appended to
    assert read_demo_people(path) == written[:5]


def test_the_runner_names_the_people_file_only_when_demo_data_is_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = ("ops.admin@cabinetoffice.gov.uk", "a long passphrase")
    monkeypatch.delenv("DEMO_COUNT", raising=False)
    monkeypatch.delenv("DEMO_PEOPLE_FILE", raising=False)
    on = RunnerSettings(data_dir=tmp_path)
    assert on.demo_data
    assert on.demo_count == 300
    env = service_env(on, "127.0.0.1:9092", admin)
    assert (env["DEMO_DATA"], env["DEMO_PEOPLE_FILE"]) == ("1", str(on.demo_people_file))
    assert on.demo_people_file.parent == tmp_path.resolve()
    off = service_env(RunnerSettings(data_dir=tmp_path, demo_data=False), "127.0.0.1:9092", admin)
    assert off["DEMO_DATA"] == "0"
    assert "DEMO_PEOPLE_FILE" not in off
    monkeypatch.setenv("DEMO_COUNT", "40")
    assert RunnerSettings(data_dir=tmp_path).demo_count == 40
