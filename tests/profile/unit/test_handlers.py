"""Handlers on the real SQLite unit of work in a temp file (no broker: the outbox is read)."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from mentor_shared.bus.sqlite_store import BUS_SCHEMA
from mentor_shared.limits import LIMITS_SQL, Limit, SqliteRateLimiter
from mentor_shared.storage.sqlite import SqliteDatabase
from profile_service.adapters.argon2_hasher import Argon2PasswordHasher
from profile_service.adapters.directory_cursors import SealedDirectoryCursors
from profile_service.adapters.jwt_keys import JwtAccessTokenIssuer, SigningKey
from profile_service.adapters.schema import SQLITE_SCHEMA
from profile_service.adapters.sqlite_repository import SqliteProfileUnitOfWork
from profile_service.domain import commands
from profile_service.domain.directory import DirectoryQuery, InvalidCursor
from profile_service.domain.errors import (
    ContactNotShared,
    EmailNotVerified,
    InvalidCredentials,
    ProfileNotFound,
    RefreshTokenReused,
)
from profile_service.domain.lockout import SignInLocked
from profile_service.domain.profiles import ProfileUpdate
from profile_service.domain.reference import default_reference_data
from profile_service.service import accounts, erasure, grants, profiles, sign_in
from profile_service.service.deps import ProfileDeps
from profile_service.service.limits import AccountLimits
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
    database = await SqliteDatabase(
        tmp_path / "p.sqlite3", [BUS_SCHEMA, LIMITS_SQL, *SQLITE_SCHEMA]
    ).open()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(hasher: Argon2PasswordHasher, clock: Clock, db: SqliteDatabase) -> ProfileDeps:
    issuer = JwtAccessTokenIssuer(SigningKey.generate(), issuer="mentor-match", audience="mm")
    return ProfileDeps(
        hasher=hasher,
        issuer=issuer,
        reference=default_reference_data(),
        cursors=SealedDirectoryCursors(b"k" * 32),
        limiter=SqliteRateLimiter(db, clock=lambda: clock.now.timestamp()),
        limits=AccountLimits(sign_in_per_address=Limit("sign_in_per_address", 3, 900)),
        sealer=SEALER,
        clock=clock,
    )


def uow(db: SqliteDatabase) -> SqliteProfileUnitOfWork:
    return SqliteProfileUnitOfWork(db)


async def outbox_types(db: SqliteDatabase) -> list[str]:
    rows = await db.fetchall("SELECT headers FROM outbox ORDER BY seq")
    return [json.loads(row["headers"]).get("event_type", "tombstone") for row in rows]


async def registered(db: SqliteDatabase, deps: ProfileDeps, email: str) -> tuple[str, str]:
    work = uow(db)
    await accounts.register(commands.RegisterAccount(email, PASSWORD, "Ada Lovelace"), work, deps)
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
        await sign_in.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    await accounts.verify_email(commands.VerifyEmail(token), uow(db), deps)
    pair = await sign_in.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    assert pair.refresh_token
    assert pair.access.expires_in == 900
    assert (await outbox_types(db))[-2:] == ["account.email_verified", "profile.upserted"]


async def test_lockout_counts_unknown_addresses_like_known_ones(
    db: SqliteDatabase, deps: ProfileDeps, clock: Clock
) -> None:
    for _ in range(3):
        with pytest.raises(InvalidCredentials):
            await sign_in.sign_in(
                commands.SignIn("ghost@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
            )
    with pytest.raises(SignInLocked) as locked:
        await sign_in.sign_in(
            commands.SignIn("GHOST@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
        )
    assert locked.value.retry_after_s == 900
    clock.now += timedelta(minutes=15, seconds=1)
    with pytest.raises(InvalidCredentials):
        await sign_in.sign_in(
            commands.SignIn("ghost@cabinetoffice.gov.uk", PASSWORD), uow(db), deps
        )


async def test_reused_refresh_token_revokes_the_family(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    email = "ada@cabinetoffice.gov.uk"
    _, token = await registered(db, deps, email)
    await accounts.verify_email(commands.VerifyEmail(token), uow(db), deps)
    first = await sign_in.sign_in(commands.SignIn(email, PASSWORD), uow(db), deps)
    second = await sign_in.refresh(commands.RefreshSession(first.refresh_token), uow(db), deps)
    with pytest.raises(RefreshTokenReused):
        await sign_in.refresh(commands.RefreshSession(first.refresh_token), uow(db), deps)
    rows = await db.fetchall("SELECT revoked_at FROM refresh_tokens")
    assert len(rows) == 2
    assert all(row["revoked_at"] for row in rows)
    assert second.refresh_token != first.refresh_token


async def test_unchanged_profile_update_keeps_the_version_and_publishes_nothing(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    account_id, token = await registered(db, deps, "ada@cabinetoffice.gov.uk")
    await accounts.verify_email(commands.VerifyEmail(token), uow(db), deps)
    update = ProfileUpdate(department="CO")
    changed = await profiles.update_profile(
        commands.UpdateProfile(account_id, update), uow(db), deps
    )
    same = await profiles.update_profile(commands.UpdateProfile(account_id, update), uow(db), deps)
    assert (changed.version, same.version, changed.department) == (2, 2, "co")
    assert (await outbox_types(db)).count("profile.upserted") == 2


async def test_grants_open_and_close_contact_and_erasure_removes_both_sides(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    mentee = await confirmed(db, deps, "mentee@cabinetoffice.gov.uk")
    mentor = await confirmed(db, deps, "mentor@cabinetoffice.gov.uk")
    grant = commands.GrantContact("m1", mentee, mentor)
    async with uow(db) as work:
        await grants.grant_contact(grant, work, deps.clock())
        await work.commit()
    contact = await grants.get_contact(mentor, mentee, uow(db))
    assert contact.email == "mentor@cabinetoffice.gov.uk"
    await erasure.delete_account(commands.DeleteAccount(mentee), uow(db), deps)
    assert await db.fetchall("SELECT * FROM contact_grants") == []
    async with uow(db) as work:
        await grants.revoke_contact(
            commands.RevokeContact("m1", mentee, mentor), work, deps.clock()
        )
        await grants.grant_contact(grant, work, deps.clock())
        await work.commit()
    # Replayed after the erasure, neither event names the erased person again.
    assert await db.fetchall("SELECT * FROM contact_grants") == []
    assert await db.fetchall("SELECT * FROM erased_subjects WHERE subject_id = ?", (mentee,))
    with pytest.raises(ContactNotShared):
        await grants.get_contact(mentor, mentee, uow(db))


async def confirmed(db: SqliteDatabase, deps: ProfileDeps, email: str) -> str:
    account_id, token = await registered(db, deps, email)
    await accounts.verify_email(commands.VerifyEmail(token), uow(db), deps)
    return account_id


async def test_anonymous_people_never_match_a_name_search(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    hidden = await confirmed(db, deps, "hidden@cabinetoffice.gov.uk")
    await profiles.update_profile(
        commands.UpdateProfile(hidden, ProfileUpdate(anonymous=True, department="co")),
        uow(db),
        deps,
    )
    by_name = await profiles.search_directory(
        DirectoryQuery(q="lovelace"), "viewer", False, uow(db), deps
    )
    by_department = await profiles.search_directory(
        DirectoryQuery(department="co"), "viewer", False, uow(db), deps
    )
    assert by_name.items == []
    assert [item.model_dump()["initials"] for item in by_department.items] == ["A. L."]
    assert "display_name" not in by_department.items[0].model_dump()


async def test_anonymous_people_never_match_a_profession_or_region_filter(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    hidden = await confirmed(db, deps, "hidden@cabinetoffice.gov.uk")
    await profiles.update_profile(
        commands.UpdateProfile(
            hidden,
            ProfileUpdate(anonymous=True, department="co", profession="policy", region="london"),
        ),
        uow(db),
        deps,
    )
    for query in (DirectoryQuery(profession="policy"), DirectoryQuery(region="london")):
        page = await profiles.search_directory(query, "viewer", False, uow(db), deps)
        assert page.items == []
    card = await profiles.get_public_profile(hidden, "viewer", False, uow(db))
    assert set(card.model_dump()) == {"id", "anonymous", "initials", "department", "grade"}


async def test_an_unconfirmed_registrant_is_invisible_until_they_confirm(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    account_id, token = await registered(db, deps, "nobody@cabinetoffice.gov.uk")
    page = await profiles.search_directory(DirectoryQuery(), "viewer", False, uow(db), deps)
    assert page.items == []
    with pytest.raises(ProfileNotFound):
        await profiles.get_public_profile(account_id, "viewer", True, uow(db))
    with pytest.raises(ProfileNotFound):
        await grants.get_contact(account_id, "viewer", uow(db))
    assert "profile.upserted" not in await outbox_types(db)

    await accounts.verify_email(commands.VerifyEmail(token), uow(db), deps)
    page = await profiles.search_directory(DirectoryQuery(), "viewer", False, uow(db), deps)
    assert [item.id for item in page.items] == [account_id]
    assert (await outbox_types(db))[-1] == "profile.upserted"


async def test_an_unconfirmed_registrants_edits_publish_nothing(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    account_id, _ = await registered(db, deps, "nobody@cabinetoffice.gov.uk")
    await profiles.update_profile(
        commands.UpdateProfile(account_id, ProfileUpdate(goals_text="Permanent Secretary")),
        uow(db),
        deps,
    )
    assert "profile.upserted" not in await outbox_types(db)


async def test_the_directory_cursor_is_sealed_and_a_tampered_one_is_refused(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    for n in range(2):
        await confirmed(db, deps, f"ada{n}@cabinetoffice.gov.uk")
    page = await profiles.search_directory(DirectoryQuery(limit=1), "viewer", False, uow(db), deps)
    assert page.next_cursor is not None
    raw = base64.urlsafe_b64decode(page.next_cursor + "=" * (-len(page.next_cursor) % 4))
    assert b"ada" not in raw.lower()
    assert b"lovelace" not in raw.lower()
    position = deps.cursors.open(page.next_cursor)
    rest = await profiles.search_directory(
        DirectoryQuery(limit=5, after=position), "viewer", False, uow(db), deps
    )
    assert len(rest.items) == 1
    assert rest.items[0].id != page.items[0].id
    flipped = page.next_cursor[:-6] + ("A" if page.next_cursor[-6] != "A" else "B")
    flipped += page.next_cursor[-5:]
    forged = base64.urlsafe_b64encode(b'["a","0"]').decode()
    for bad in (flipped, forged, "not-a-cursor"):
        with pytest.raises(InvalidCursor):
            deps.cursors.open(bad)


async def test_erasure_leaves_only_the_deletion_and_tombstones_in_the_outbox(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    erased = await confirmed(db, deps, "erased@cabinetoffice.gov.uk")
    other = await confirmed(db, deps, "other@cabinetoffice.gov.uk")
    await profiles.update_profile(
        commands.UpdateProfile(erased, ProfileUpdate(goals_text="Quietly leave the civil service")),
        uow(db),
        deps,
    )
    async with db.transaction() as conn:  # some sent and retained for replay, some not
        await conn.execute("UPDATE outbox SET sent_at = 1 WHERE seq % 2 = 0")
    others_before = [
        row["event_id"]
        for row in await db.fetchall("SELECT event_id FROM outbox WHERE key = ?", (other,))
    ]

    await erasure.delete_account(commands.DeleteAccount(erased), uow(db), deps)

    rows = await db.fetchall(
        "SELECT topic, payload, headers FROM outbox WHERE key = ? ORDER BY seq", (erased,)
    )
    assert [(row["topic"], json.loads(row["headers"]).get("event_type")) for row in rows] == [
        ("profile", "profile.deleted"),
        ("profile", None),
        ("account", None),
    ]
    assert [bytes(row["payload"]) for row in rows[1:]] == [b"", b""]
    others_after = await db.fetchall("SELECT event_id FROM outbox WHERE key = ?", (other,))
    assert [row["event_id"] for row in others_after] == others_before
    everything = b"".join(
        bytes(row["payload"]) for row in await db.fetchall("SELECT payload FROM outbox")
    )
    assert b"erased@cabinetoffice.gov.uk" not in everything
    assert b"Quietly leave" not in everything


async def test_after_erasure_the_file_and_its_wal_hold_none_of_the_persons_bytes(
    tmp_path: Path, deps: ProfileDeps
) -> None:
    path = tmp_path / "erasure.sqlite3"
    database = await SqliteDatabase(path, [BUS_SCHEMA, *SQLITE_SCHEMA]).open()
    try:
        clearing = dataclasses.replace(deps, after_erasure=database.truncate_wal)
        email = "zephyrine.quist@cabinetoffice.gov.uk"
        account_id, token = await registered(database, clearing, email)
        await accounts.verify_email(commands.VerifyEmail(token), uow(database), clearing)
        await profiles.update_profile(
            commands.UpdateProfile(
                account_id,
                ProfileUpdate(
                    display_name="Zephyrine Quist",
                    goals_text="Xylophonic negotiation under pressure",
                ),
            ),
            uow(database),
            clearing,
        )
        await database.checkpoint()  # some of it in the main file, some in the WAL
        await profiles.update_profile(
            commands.UpdateProfile(account_id, ProfileUpdate(job_title="Quist Xylophonist")),
            uow(database),
            clearing,
        )

        await erasure.delete_account(commands.DeleteAccount(account_id), uow(database), clearing)

        files = [path, path.with_name(path.name + "-wal")]
        content = b"".join(f.read_bytes() for f in files if f.exists())
        for needle in ("zephyrine", "Zephyrine", "Quist", "Xylophonic", "Xylophonist"):
            assert needle.encode() not in content, needle
    finally:
        await database.close()
