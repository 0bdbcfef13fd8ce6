"""Handlers on the real SQLite unit of work in a temp file (no broker: the outbox is read)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.adapters.jwt_keys import JwtAccessTokenIssuer, SigningKey
from profile_service.adapters.sqlite_repository import SQLITE_SCHEMA, SqliteProfileUnitOfWork
from profile_service.domain import commands
from profile_service.domain.directory import DirectoryQuery
from profile_service.domain.errors import (
    ContactNotShared,
    EmailNotVerified,
    InvalidCredentials,
    RefreshTokenReused,
)
from profile_service.domain.lockout import LockoutPolicy, SignInLocked
from profile_service.domain.model import ProfileUpdate
from profile_service.domain.reference import default_reference_data
from profile_service.service import handlers
from profile_service.service.handlers import ProfileDeps
from tests.profile.helpers import SEALER, token_of

PASSWORD = "plum kettle orbit lantern"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def hasher() -> Argon2PasswordHasher:
    return Argon2PasswordHasher()


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(tmp_path / "p.sqlite3", [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(hasher: Argon2PasswordHasher, clock: Clock) -> ProfileDeps:
    issuer = JwtAccessTokenIssuer(SigningKey.generate(), issuer="mentor-match", audience="mm")
    return ProfileDeps(
        hasher=hasher,
        issuer=issuer,
        reference=default_reference_data(),
        lockout=LockoutPolicy(max_failures=3, window=timedelta(minutes=15)),
        sealer=SEALER,
        clock=clock,
    )


def uow(db: SqliteDatabase) -> SqliteProfileUnitOfWork:
    return SqliteProfileUnitOfWork(db)


async def outbox_types(db: SqliteDatabase) -> list[str]:
    rows = await db.fetchall("SELECT headers FROM outbox ORDER BY seq")
    import json

    return [json.loads(row["headers"])["event_type"] for row in rows]


async def registered(db: SqliteDatabase, deps: ProfileDeps, email: str) -> tuple[str, str]:
    work = uow(db)
    await handlers.register(commands.RegisterAccount(email, PASSWORD, "Ada Lovelace"), work, deps)
    token_event = next(
        e for e in work.committed_events if e.type == "account.verification_requested"
    )
    return token_event.data["account_id"], token_of(token_event)


async def test_registration_queues_registered_and_verification_events_only(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await registered(db, deps, "ada@cabinetoffice.gov.uk")
    assert await outbox_types(db) == ["account.registered", "account.verification_requested"]


async def test_sign_in_needs_a_verified_address_then_publishes_the_profile(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    email = "ada@cabinetoffice.gov.uk"
    _, token = await registered(db, deps, email)
    with pytest.raises(EmailNotVerified):
        await handlers.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    await handlers.verify_email(commands.VerifyEmail(token), uow(db), deps)
    pair = await handlers.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    assert pair.refresh_token
    assert pair.access.expires_in == 900
    assert (await outbox_types(db))[-2:] == ["account.email_verified", "profile.upserted"]


async def test_lockout_counts_unknown_addresses_like_known_ones(
    db: SqliteDatabase, deps: ProfileDeps, clock: Clock
) -> None:
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await handlers.sign_in(
                commands.SignIn("ghost@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
            )
    with pytest.raises(SignInLocked) as locked:
        await handlers.sign_in(
            commands.SignIn("GHOST@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
        )
    assert locked.value.retry_after_s == 900
    clock.now += timedelta(minutes=15, seconds=1)
    with pytest.raises(InvalidCredentials):
        await handlers.sign_in(
            commands.SignIn("ghost@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
        )


async def test_reused_refresh_token_revokes_the_family(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    email = "ada@cabinetoffice.gov.uk"
    _, token = await registered(db, deps, email)
    await handlers.verify_email(commands.VerifyEmail(token), uow(db), deps)
    first = await handlers.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    second = await handlers.refresh(commands.RefreshSession(first.refresh_token), uow(db), deps)
    with pytest.raises(RefreshTokenReused):
        await handlers.refresh(commands.RefreshSession(first.refresh_token), uow(db), deps)
    rows = await db.fetchall("SELECT revoked_at FROM refresh_tokens")
    assert len(rows) == 2
    assert all(row["revoked_at"] for row in rows)
    assert second.refresh_token != first.refresh_token


async def test_unchanged_profile_update_keeps_the_version_and_publishes_nothing(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    account_id, token = await registered(db, deps, "ada@cabinetoffice.gov.uk")
    await handlers.verify_email(commands.VerifyEmail(token), uow(db), deps)
    update = ProfileUpdate(department="CO")
    changed = await handlers.update_profile(
        commands.UpdateProfile(account_id, update), uow(db), deps
    )
    same = await handlers.update_profile(commands.UpdateProfile(account_id, update), uow(db), deps)
    assert (changed.version, same.version, changed.department) == (2, 2, "co")
    assert (await outbox_types(db)).count("profile.upserted") == 2


async def test_grants_open_and_close_contact_and_erasure_removes_both_sides(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    mentee, _ = await registered(db, deps, "mentee@cabinetoffice.gov.uk")
    mentor, _ = await registered(db, deps, "mentor@cabinetoffice.gov.uk")
    grant = commands.GrantContact("m1", mentee, mentor)
    async with uow(db) as work:
        await handlers.grant_contact(grant, work, deps.clock())
        await work.commit()
    contact = await handlers.get_contact(mentor, mentee, uow(db))
    assert contact.email == "mentor@cabinetoffice.gov.uk"
    await handlers.delete_account(commands.DeleteAccount(mentee), uow(db), deps)
    assert await db.fetchall("SELECT * FROM contact_grants") == []
    async with uow(db) as work:
        await handlers.revoke_contact(
            commands.RevokeContact("m1", mentee, mentor), work, deps.clock()
        )
        await handlers.grant_contact(grant, work, deps.clock())
        await work.commit()
    with pytest.raises(ContactNotShared):
        await handlers.get_contact(mentor, mentee, uow(db))


async def test_anonymous_people_never_match_a_name_search(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    hidden, _ = await registered(db, deps, "hidden@cabinetoffice.gov.uk")
    await handlers.update_profile(
        commands.UpdateProfile(hidden, ProfileUpdate(anonymous=True, department="co")),
        uow(db),
        deps,
    )
    by_name = await handlers.search_directory(
        DirectoryQuery(q="lovelace"), "viewer", False, uow(db)
    )
    by_department = await handlers.search_directory(
        DirectoryQuery(department="co"), "viewer", False, uow(db)
    )
    assert by_name.items == []
    assert [item.model_dump()["initials"] for item in by_department.items] == ["AL"]
    assert "display_name" not in by_department.items[0].model_dump()
