"""Demo people: handed over in a file, stored once, published like real sign-ups.

The people themselves are built by the operators' package: tests/ops/test_demo_data.py.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import ValidationError

from mentor_match_ops.demo.people import demo_people
from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.events.envelope import Envelope
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.adapters.directory_cursors import SealedDirectoryCursors
from profile_service.adapters.jwt_keys import JwtAccessTokenIssuer, SigningKey
from profile_service.adapters.schema import SQLITE_SCHEMA
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.demo import read_demo_people, seed_demo_people, write_demo_people
from profile_service.domain import commands
from profile_service.domain.directory import DirectoryQuery
from profile_service.domain.profiles import Profile
from profile_service.domain.reference import default_reference_data
from profile_service.service import admin, sign_in
from profile_service.service.deps import ProfileDeps
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.settings import DEMO_DEFAULT_PASSWORD, ProfileSettings
from tests.profile.helpers import SEALER, MemoryRateLimiter

DEMO_PASSWORD = "demo tulip harbour violin"


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


async def test_seeding_stores_verified_people_who_can_sign_in(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    started = time.perf_counter()
    result = await seed_demo_people(
        lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD, batch_size=15
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
    await seed_demo_people(lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD)
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
    await seed_demo_people(lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD)
    queued = len(await outbox(db))
    again = await seed_demo_people(
        lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD
    )
    assert (again.created, again.existing) == (0, 40)
    assert len(await outbox(db)) == queued
    assert len(await stored_profiles(db)) == 40


async def test_a_larger_count_later_adds_only_the_missing_people(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await seed_demo_people(lambda: factory(db), deps, demo_people(20), password=DEMO_PASSWORD)
    more = await seed_demo_people(
        lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD
    )
    assert (more.created, more.existing) == (20, 20)
    assert len(await stored_profiles(db)) == 40


async def test_addresses_the_stored_allow_list_refuses_are_left_out(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await admin.replace_allowed_domains(
        commands.ReplaceAllowedDomains(["dwp.gov.uk", "hmrc.gov.uk"]), factory(db)
    )
    result = await seed_demo_people(
        lambda: factory(db), deps, demo_people(40), password=DEMO_PASSWORD
    )
    people = demo_people(40, seed=7)
    expected = [p for p in people if p.email.split("@")[1] in {"dwp.gov.uk", "hmrc.gov.uk"}]
    assert 0 < result.created == len(expected) < 40
    assert result.refused == 40 - len(expected)
    assert {p.id for p in await stored_profiles(db)} == {p.account_id for p in expected}


def test_demo_data_is_off_by_default_and_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert ProfileSettings(environment="test").demo_data is False
    monkeypatch.setenv("DEMO_DATA", "1")
    monkeypatch.setenv("DEMO_PEOPLE_FILE", str(tmp_path / "demo-people.jsonl"))
    settings = ProfileSettings(environment="test")
    assert settings.demo_data
    # How many demo people there are is the runner's DEMO_COUNT (tests/ops/test_demo_data.py).
    assert settings.demo_people_file == tmp_path / "demo-people.jsonl"
    assert settings.resolved_demo_password() == DEMO_DEFAULT_PASSWORD
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    assert ProfileSettings(environment="test").resolved_demo_password() == DEMO_PASSWORD
    monkeypatch.setenv("DEMO_DATA", "0")
    assert ProfileSettings(environment="test").demo_data is False


def test_demo_data_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="DEMO_DATA"):
        ProfileSettings(environment="production", demo_data=True)


def test_demo_data_without_a_people_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_PEOPLE_FILE", raising=False)
    with pytest.raises(ValidationError, match="DEMO_PEOPLE_FILE"):
        ProfileSettings(environment="test", demo_data=True)


def test_the_people_file_is_read_back_in_order_and_a_bad_line_is_refused_by_number(
    tmp_path: Path,
) -> None:
    path = tmp_path / "demo-people.jsonl"
    people = demo_people(5)
    write_demo_people(path, people)
    assert read_demo_people(path) == people
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:3], '{"email": "x@dwp.gov.uk", "profile": {}}']))
    with pytest.raises(ValueError, match="DEMO_PEOPLE_FILE line 4"):
        read_demo_people(path)
    with pytest.raises(ValueError, match="DEMO_PEOPLE_FILE unreadable"):
        read_demo_people(tmp_path / "absent.jsonl")
