"""Account takeover and abuse limits, on the handlers with the real SQLite store and limiter."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
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
from profile_service.domain.account_tokens import AccountTokenInvalid
from profile_service.domain.errors import (
    AccountNotFound,
    EmailNotVerified,
    InvalidCredentials,
    PasswordIncorrect,
)
from profile_service.domain.lockout import SignInLocked
from profile_service.domain.reference import default_reference_data
from profile_service.service import accounts, erasure, startup
from profile_service.service import sign_in as sign_in_service
from profile_service.service.deps import ProfileDeps
from profile_service.service.limits import AccountLimits
from tests.profile.helpers import SEALER

ATTACKER_PASSWORD = "attacker chose this one 1"
OWNER_PASSWORD = "owner chose this other one 2"
VICTIM = "victim@dwp.gov.uk"


class CountingHasher(Argon2PasswordHasher):
    """The real hasher, counting every password check (real or dummy)."""

    def __init__(self) -> None:
        super().__init__()
        self.checks = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.checks += 1
        return super().verify(password_hash, password)

    def dummy_verify(self, password: str) -> None:
        self.checks += 1
        super().dummy_verify(password)


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    database = await SqliteDatabase(
        tmp_path / "p.sqlite3", [BUS_SCHEMA, LIMITS_SQL, *SQLITE_SCHEMA]
    ).open()
    yield database
    await database.close()


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def deps(hasher: CountingHasher, db: SqliteDatabase) -> ProfileDeps:
    return ProfileDeps(
        hasher=hasher,
        issuer=JwtAccessTokenIssuer(SigningKey.generate(), issuer="mentor-match", audience="mm"),
        reference=default_reference_data(),
        cursors=SealedDirectoryCursors(b"k" * 32),
        limiter=SqliteRateLimiter(db),
        limits=AccountLimits(),
        sealer=SEALER,
        clock=lambda: datetime.now(UTC),
    )


def uow(db: SqliteDatabase) -> SqliteProfileUnitOfWork:
    return SqliteProfileUnitOfWork(db)


async def outbox(db: SqliteDatabase) -> list[dict[str, object]]:
    rows = await db.fetchall("SELECT payload FROM outbox ORDER BY seq")
    return [json.loads(bytes(row["payload"])) for row in rows]


async def emailed_tokens(db: SqliteDatabase, event_type: str) -> list[str]:
    return [
        SEALER.open(str(event["data"]["sealed_token"]))  # type: ignore[index]
        for event in await outbox(db)
        if event["type"] == event_type
    ]


async def register(db: SqliteDatabase, deps: ProfileDeps, password: str, name: str) -> None:
    await accounts.register(commands.RegisterAccount(VICTIM, password, name), uow(db), deps)


async def sign_in(
    db: SqliteDatabase, deps: ProfileDeps, password: str
) -> sign_in_service.TokenPair:
    return await sign_in_service.sign_in(commands.SignIn(VICTIM, password), uow(db), deps)


async def test_first_registrants_password_never_survives_the_owners_confirmation(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, ATTACKER_PASSWORD, "Mallory")
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    attackers_link, owners_link = await emailed_tokens(db, "account.verification_requested")

    await accounts.verify_email(commands.VerifyEmail(owners_link), uow(db), deps)

    with pytest.raises(InvalidCredentials):
        await sign_in(db, deps, ATTACKER_PASSWORD)
    assert (await sign_in(db, deps, OWNER_PASSWORD)).refresh_token
    with pytest.raises(AccountTokenInvalid):
        await accounts.verify_email(commands.VerifyEmail(attackers_link), uow(db), deps)
    profile = json.loads((await db.fetchall("SELECT document FROM profiles"))[0]["document"])
    assert profile["display_name"] == "Vic Tim"
    assert await db.fetchall("SELECT * FROM pending_credentials") == []


async def test_before_confirmation_no_password_signs_in(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, ATTACKER_PASSWORD, "Mallory")
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    # The latest registration's password is told to confirm; an earlier one is just wrong.
    with pytest.raises(EmailNotVerified):
        await sign_in(db, deps, OWNER_PASSWORD)
    with pytest.raises(InvalidCredentials):
        await sign_in(db, deps, ATTACKER_PASSWORD)
    rows = await db.fetchall("SELECT password_hash FROM accounts")
    assert [row["password_hash"] for row in rows] == [None]


async def test_a_reset_link_also_voids_pending_registrations(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, ATTACKER_PASSWORD, "Mallory")
    await accounts.request_password_reset(commands.RequestPasswordReset(VICTIM), uow(db), deps)
    (reset_link,) = await emailed_tokens(db, "account.password_reset_requested")
    (attackers_link,) = await emailed_tokens(db, "account.verification_requested")
    await accounts.reset_password(commands.ResetPassword(reset_link, OWNER_PASSWORD), uow(db), deps)
    with pytest.raises(AccountTokenInvalid):
        await accounts.verify_email(commands.VerifyEmail(attackers_link), uow(db), deps)
    with pytest.raises(InvalidCredentials):
        await sign_in(db, deps, ATTACKER_PASSWORD)
    assert (await sign_in(db, deps, OWNER_PASSWORD)).refresh_token


async def test_ensure_admin_resets_an_unverified_account_at_its_address(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, ATTACKER_PASSWORD, "Mallory")
    (attackers_link,) = await emailed_tokens(db, "account.verification_requested")
    admin_password = "the configured admin passphrase"

    account_id = await startup.ensure_admin(VICTIM, admin_password, uow(db), deps)

    with pytest.raises(InvalidCredentials):
        await sign_in(db, deps, ATTACKER_PASSWORD)
    assert (await sign_in(db, deps, admin_password)).access.token
    with pytest.raises(AccountTokenInvalid):
        await accounts.verify_email(commands.VerifyEmail(attackers_link), uow(db), deps)
    rows = await db.fetchall("SELECT id, is_admin, email_verified FROM accounts")
    assert [(r["id"], r["is_admin"], r["email_verified"]) for r in rows] == [(account_id, 1, 1)]
    types = [event["type"] for event in await outbox(db)]
    assert types[-2:] == ["account.email_verified", "profile.upserted"]


async def test_ensure_admin_keeps_a_verified_accounts_own_password(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    (link,) = await emailed_tokens(db, "account.verification_requested")
    await accounts.verify_email(commands.VerifyEmail(link), uow(db), deps)
    await startup.ensure_admin(VICTIM, "the configured admin passphrase", uow(db), deps)
    assert (await sign_in(db, deps, OWNER_PASSWORD)).access.token


async def test_concurrent_wrong_passwords_get_at_most_the_lockout_count_of_checks(
    db: SqliteDatabase, deps: ProfileDeps, hasher: CountingHasher
) -> None:
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    (link,) = await emailed_tokens(db, "account.verification_requested")
    await accounts.verify_email(commands.VerifyEmail(link), uow(db), deps)
    hasher.checks = 0

    results = await asyncio.gather(
        *(sign_in(db, deps, f"wrong guess number {n}") for n in range(40)),
        return_exceptions=True,
    )

    assert hasher.checks <= deps.limits.sign_in_per_address.count == 10
    assert sum(isinstance(r, SignInLocked) for r in results) >= 30
    assert all(isinstance(r, SignInLocked | InvalidCredentials) for r in results)


async def test_a_success_resets_the_lockout_count(
    db: SqliteDatabase, deps: ProfileDeps, hasher: CountingHasher
) -> None:
    deps = ProfileDeps(
        hasher=hasher,
        issuer=deps.issuer,
        reference=deps.reference,
        cursors=deps.cursors,
        limiter=deps.limiter,
        limits=AccountLimits(sign_in_per_address=Limit("sign_in_per_address", 3, 900)),
        sealer=SEALER,
    )
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    (link,) = await emailed_tokens(db, "account.verification_requested")
    await accounts.verify_email(commands.VerifyEmail(link), uow(db), deps)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await sign_in(db, deps, "wrong")
    await sign_in(db, deps, OWNER_PASSWORD)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            await sign_in(db, deps, "wrong")
    await sign_in(db, deps, OWNER_PASSWORD)


async def test_forty_reset_requests_send_three_emails_and_keep_the_first_link_working(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    (link,) = await emailed_tokens(db, "account.verification_requested")
    await accounts.verify_email(commands.VerifyEmail(link), uow(db), deps)

    for _ in range(40):
        await accounts.request_password_reset(commands.RequestPasswordReset(VICTIM), uow(db), deps)

    resets = await emailed_tokens(db, "account.password_reset_requested")
    # The registration's verification email counted too: three emails an hour in all.
    assert len(resets) == 2
    await accounts.reset_password(
        commands.ResetPassword(resets[0], "a brand new passphrase 3"), uow(db), deps
    )
    with pytest.raises(AccountTokenInvalid):
        await accounts.reset_password(
            commands.ResetPassword(resets[1], "another new passphrase 4"), uow(db), deps
        )
    assert (await sign_in(db, deps, "a brand new passphrase 3")).access.token


async def test_repeated_registrations_of_an_unverified_address_send_three_emails_an_hour(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    for n in range(10):
        await register(db, deps, f"{OWNER_PASSWORD} {n}", "Vic Tim")
    assert len(await emailed_tokens(db, "account.verification_requested")) == 3
    assert len(await db.fetchall("SELECT * FROM pending_credentials")) == 3


async def test_erasing_ones_own_account_needs_the_password(
    db: SqliteDatabase, deps: ProfileDeps
) -> None:
    await register(db, deps, OWNER_PASSWORD, "Vic Tim")
    (link,) = await emailed_tokens(db, "account.verification_requested")
    account = await accounts.verify_email(commands.VerifyEmail(link), uow(db), deps)

    with pytest.raises(PasswordIncorrect):
        await erasure.delete_own_account(
            commands.DeleteOwnAccount(account.id, "not my password"), uow(db), deps
        )
    assert await db.fetchall("SELECT id FROM accounts")
    await erasure.delete_own_account(
        commands.DeleteOwnAccount(account.id, OWNER_PASSWORD), uow(db), deps
    )
    assert await db.fetchall("SELECT id FROM accounts") == []
    with pytest.raises(AccountNotFound):
        await erasure.delete_own_account(
            commands.DeleteOwnAccount(account.id, OWNER_PASSWORD), uow(db), deps
        )
