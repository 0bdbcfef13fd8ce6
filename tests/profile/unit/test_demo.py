"""Demo people: generated deterministically, stored once, published like real sign-ups."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import ValidationError

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.adapters.directory_cursors import SealedDirectoryCursors
from profile_service.adapters.jwt_keys import JwtAccessTokenIssuer, SigningKey
from profile_service.adapters.schema import SQLITE_SCHEMA
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.demo import (
    DEMO_DEPARTMENT_DOMAINS,
    DemoPerson,
    demo_people,
    seed_demo_people,
)
from profile_service.domain import commands
from profile_service.domain.allowlist import default_allowed_domains
from profile_service.domain.directory import DirectoryQuery
from profile_service.domain.model import Profile
from profile_service.domain.reference import default_reference_data
from profile_service.service import admin, sign_in
from profile_service.service.deps import ProfileDeps
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.settings import DEMO_DEFAULT_PASSWORD, ProfileSettings
from tests.profile.helpers import SEALER, MemoryRateLimiter

DEMO_PASSWORD = "demo tulip harbour violin"
SCS = {"SCS1", "SCS2", "SCS3", "SCS4"}


@pytest.fixture(scope="module")
def population() -> list[DemoPerson]:
    return demo_people(300, seed=7)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(tmp_path / "p.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    yield database
    await database.close()


@pytest.fixture(scope="module")
def deps() -> ProfileDeps:
    # The hasher's minimum (OWASP) settings: one hash is a few tens of milliseconds.
    return ProfileDeps(
        hasher=Argon2PasswordHasher(),
        issuer=JwtAccessTokenIssuer(SigningKey.generate(), issuer="mentor-match", audience="mm"),
        reference=default_reference_data(),
        cursors=SealedDirectoryCursors(b"k" * 32),
        limiter=MemoryRateLimiter(),
        sealer=SEALER,
        clock=lambda: datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
    )


def factory(db: SqliteDatabase) -> ProfileUnitOfWork:
    return SqliteProfileUnitOfWork(db)


async def outbox(db: SqliteDatabase) -> list[Envelope]:
    rows = await db.fetchall("SELECT payload FROM outbox ORDER BY seq")
    return [Envelope.from_bytes(bytes(row["payload"])) for row in rows]


async def stored_profiles(db: SqliteDatabase) -> list[Profile]:
    async with factory(db) as work:
        return await work.profiles.search(DirectoryQuery(limit=100))


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
    assert len({person.email.lower() for person in population}) == len(population)
    for person in population:
        profile = person.profile
        assert Profile.model_validate(profile.model_dump()) == profile
        assert profile.with_canonical_references(reference) == profile
        assert str(allowed.check(person.email)) == person.email
        assert profile.department is not None
        assert person.email.endswith("@" + DEMO_DEPARTMENT_DOMAINS[profile.department])
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


async def test_seeding_stores_verified_people_who_can_sign_in(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    started = time.perf_counter()
    result = await seed_demo_people(
        lambda: factory(db), deps, count=40, password=DEMO_PASSWORD, batch_size=15
    )
    assert (result.created, result.existing, result.refused) == (40, 0, 0)
    assert time.perf_counter() - started < 5
    people = demo_people(40, seed=7)
    profiles = await stored_profiles(db)
    assert sorted(p.id for p in profiles) == sorted(person.account_id for person in people)
    async with factory(db) as work:
        accounts = [await work.accounts.get(person.account_id) for person in people]
    assert all(account is not None and account.email_verified for account in accounts)
    pair = await sign_in.sign_in(commands.SignIn(people[5].email, DEMO_PASSWORD), factory(db), deps)
    assert pair.refresh_token


async def test_each_demo_person_publishes_what_a_verified_sign_up_does_without_contact(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await seed_demo_people(lambda: factory(db), deps, count=40, password=DEMO_PASSWORD)
    events = await outbox(db)
    by_subject: dict[str, list[str]] = {}
    for event in events:
        by_subject.setdefault(event.subject, []).append(event.type)
    people = demo_people(40, seed=7)
    assert set(by_subject) == {person.account_id for person in people}
    assert all(
        types == ["account.registered", "account.email_verified", "profile.upserted"]
        for types in by_subject.values()
    )
    registered = [e for e in events if e.type == "account.registered"]
    assert {e.data["email"] for e in registered} == {person.email for person in people}
    upserted = [e for e in events if e.type == "profile.upserted"]
    contact_values = {v for p in people for v in (p.email, p.profile.contact.phone) if v}
    for event in upserted:
        assert event.data["version"] >= 1
        assert "contact" not in event.data
        assert "email" not in event.data
        text = event.model_dump_json()
        assert not any(value in text for value in contact_values)


async def test_a_second_seeding_does_nothing_and_reports_the_existing_people(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await seed_demo_people(lambda: factory(db), deps, count=40, password=DEMO_PASSWORD)
    queued = len(await outbox(db))
    again = await seed_demo_people(lambda: factory(db), deps, count=40, password=DEMO_PASSWORD)
    assert (again.created, again.existing) == (0, 40)
    assert len(await outbox(db)) == queued
    assert len(await stored_profiles(db)) == 40


async def test_a_larger_count_later_adds_only_the_missing_people(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await seed_demo_people(lambda: factory(db), deps, count=20, password=DEMO_PASSWORD)
    more = await seed_demo_people(lambda: factory(db), deps, count=40, password=DEMO_PASSWORD)
    assert (more.created, more.existing) == (20, 20)
    assert len(await stored_profiles(db)) == 40


async def test_addresses_the_stored_allow_list_refuses_are_left_out(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await admin.replace_allowed_domains(
        commands.ReplaceAllowedDomains(["dwp.gov.uk", "hmrc.gov.uk"]), factory(db)
    )
    result = await seed_demo_people(lambda: factory(db), deps, count=40, password=DEMO_PASSWORD)
    people = demo_people(40, seed=7)
    expected = [p for p in people if p.email.split("@")[1] in {"dwp.gov.uk", "hmrc.gov.uk"}]
    assert 0 < result.created == len(expected) < 40
    assert result.refused == 40 - len(expected)
    assert {p.id for p in await stored_profiles(db)} == {p.account_id for p in expected}


def test_demo_data_is_off_by_default_and_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ProfileSettings(environment="test").demo_data is False
    monkeypatch.setenv("DEMO_DATA", "1")
    settings = ProfileSettings(environment="test")
    assert settings.demo_data
    assert settings.demo_count == 300
    assert settings.resolved_demo_password() == DEMO_DEFAULT_PASSWORD
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    assert ProfileSettings(environment="test").resolved_demo_password() == DEMO_PASSWORD
    monkeypatch.setenv("DEMO_DATA", "0")
    assert ProfileSettings(environment="test").demo_data is False


def test_demo_data_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="DEMO_DATA"):
        ProfileSettings(environment="production", demo_data=True)
