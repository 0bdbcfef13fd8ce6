"""Use cases of the profile service: each opens the unit of work, applies domain rules,
saves, queues its events in the outbox and commits.

Password hashing runs in a worker thread and never inside a transaction: the SQLite
store has one writer, and holding it for tens of milliseconds per sign-in would
serialise every other write behind argon2.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from mentor_shared.events.envelope import EventData, new_event
from mentor_shared.events.schemas import (
    ACCOUNT_TOPIC,
    PROFILE_TOPIC,
    AccountClaimRequested,
    AccountEmailVerified,
    AccountPasswordResetRequested,
    AccountRegistered,
    AccountVerificationRequested,
    ProfileDeleted,
)
from mentor_shared.limits import RateLimiter
from mentor_shared.sealing import Sealer
from mentor_shared.storage.sqlite import SqliteBusy
from profile_service.domain import commands
from profile_service.domain.account_tokens import (
    AccountToken,
    AccountTokenInvalid,
    PendingCredential,
    TokenPurpose,
    hash_account_token,
)
from profile_service.domain.allowlist import (
    AllowedDomains,
    DomainRule,
    default_allowed_domains,
    parse_email,
)
from profile_service.domain.coach_import import CoachImportResult
from profile_service.domain.coach_workbook import parse_coach_file
from profile_service.domain.directory import DirectoryPosition, DirectoryQuery, ProfileStats
from profile_service.domain.errors import (
    AccountNotFound,
    DomainError,
    EmailNotVerified,
    ImportFileInvalid,
    ImportNotFound,
    InvalidAllowedDomain,
    InvalidCredentials,
    InvalidInput,
    PasswordIncorrect,
    ProfileNotFound,
    RefreshTokenInvalid,
    RefreshTokenReused,
    WrongCurrentPassword,
)
from profile_service.domain.invitations import CoachImportRecord, ImportProgress
from profile_service.domain.lockout import SignInLocked
from profile_service.domain.model import (
    Account,
    AnonymisedCard,
    Contact,
    ContactGrant,
    Profile,
    ProfileUpdate,
    PublicProfile,
    contact_for,
    new_id,
    public_view,
    to_profile_upserted,
)
from profile_service.domain.passwords import PasswordPolicy
from profile_service.domain.reference import ReferenceData
from profile_service.domain.tokens import REFRESH_TOKEN_TTL, RefreshToken, hash_refresh_token
from profile_service.service.limits import AccountLimits, address_key
from profile_service.service.ports import (
    AccessTokenIssuer,
    DirectoryCursors,
    IssuedAccessToken,
    PasswordHasher,
    ProfileUnitOfWork,
)

log = structlog.get_logger(__name__)

SOURCE = "profile"


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


async def _nothing_to_clear() -> None:
    return None


@dataclass(frozen=True)
class ProfileDeps:
    """What the handlers need besides the unit of work (built once by bootstrap)."""

    hasher: PasswordHasher
    issuer: AccessTokenIssuer
    reference: ReferenceData
    cursors: DirectoryCursors
    limiter: RateLimiter
    password_policy: PasswordPolicy = field(default_factory=PasswordPolicy.default)
    limits: AccountLimits = field(default_factory=AccountLimits)
    refresh_ttl: timedelta = REFRESH_TOKEN_TTL
    verification_ttl: timedelta = timedelta(hours=24)
    reset_ttl: timedelta = timedelta(hours=1)
    claim_ttl: timedelta = timedelta(days=14)
    sealer: Sealer | None = None
    """Seals emailed tokens for the broker; None only in tests that send none."""
    clock: Callable[[], datetime] = utc_now
    after_erasure: Callable[[], Awaitable[None]] = _nothing_to_clear
    """Runs after an erasure commits: clears what the store keeps of deleted rows
    outside its tables (SQLite's write-ahead log); nothing to do on MongoDB."""

    def ttl_for(self, purpose: TokenPurpose) -> timedelta:
        """Lifetime of an emailed token."""
        return {
            "verify": self.verification_ttl,
            "reset": self.reset_ttl,
            "claim": self.claim_ttl,
        }[purpose]

    def seal(self, secret: str) -> str:
        """The token as it travels to the notifications service."""
        if self.sealer is None:
            raise RuntimeError("ProfileDeps.sealer is needed to send emailed tokens")
        return self.sealer.seal(secret)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What the token endpoint returns."""

    access: IssuedAccessToken
    refresh_token: str


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the directory."""

    items: list[PublicProfile | AnonymisedCard]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class CoachImportReport:
    """What an import found and did."""

    check: CoachImportResult
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    import_id: str | None = None
    """The import's id (real runs): its invitations are sent from it."""
    invitations: int = 0
    """Claim invitations made (one per new coach), waiting to be sent."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            **self.check.to_dict(),
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "import_id": self.import_id,
            "invitations": self.invitations,
        }


def _event(data: EventData, subject: str) -> Any:
    return new_event(data, subject=subject, source=SOURCE)


_TOKEN_EVENTS: dict[
    TokenPurpose,
    type[AccountVerificationRequested | AccountPasswordResetRequested | AccountClaimRequested],
] = {
    "verify": AccountVerificationRequested,
    "reset": AccountPasswordResetRequested,
    "claim": AccountClaimRequested,
}


async def _send_token(
    uow: ProfileUnitOfWork,
    deps: ProfileDeps,
    account: Account,
    display_name: str,
    purpose: TokenPurpose,
    *,
    pending: tuple[str, str] | None = None,
    bulk: bool = False,
) -> None:
    """Issue a token and queue its email (``bulk``: in the outbox's bulk lane).

    Earlier links of the purpose keep working until one of them is used (using one
    spends the rest), so a stranger asking again cannot cancel the person's link.

    Args:
        pending: For a registration of an unverified address, its password hash and
            display name, kept bound to this token until the token is used.
    """
    now = deps.clock()
    issued = AccountToken.issue(account.id, purpose, now=now, ttl=deps.ttl_for(purpose))
    await uow.account_tokens.add(issued.record)
    if pending is not None:
        password_hash, chosen_name = pending
        await uow.pending_credentials.add(
            PendingCredential(
                token_id=issued.record.id,
                account_id=account.id,
                password_hash=password_hash,
                display_name=chosen_name,
                created_at=now,
            )
        )
    payload = _TOKEN_EVENTS[purpose](
        account_id=account.id,
        email=account.email,
        display_name=display_name,
        sealed_token=deps.seal(issued.secret),
        expires_at=issued.record.expires_at,
    )
    uow.add_event(_event(payload, account.id), bulk=bulk)


async def _display_name(uow: ProfileUnitOfWork, account_id: str) -> str:
    profile = await uow.profiles.get(account_id)
    return profile.display_name if profile else ""


async def _allowed_domains(uow: ProfileUnitOfWork) -> AllowedDomains:
    return await uow.domains.get() or default_allowed_domains()


async def _account_email_allowed(deps: ProfileDeps, email: str) -> bool:
    """Count one account email for the address; False once its hourly cap is spent.

    Counted for every request, whether or not the address has an account, so the
    cap says nothing about which addresses are registered. Runs its own short
    transaction: call it outside a unit of work.
    """
    retry_after = await deps.limiter.hit(deps.limits.emails_per_address, address_key(email))
    if retry_after is not None:
        log.info("account_email_suppressed", retry_after_s=math.ceil(retry_after))
    return retry_after is None


async def _count_password_check(deps: ProfileDeps, email: str) -> None:
    """Count a password check for the address before it runs (the lockout).

    Counting first, atomically in the shared store, is what bounds the checks: any
    number of concurrent attempts get at most the limit's count of password checks.
    A success resets the count (:func:`_password_check_succeeded`).

    Raises:
        SignInLocked: The address used up its attempts for the window.
    """
    retry_after = await deps.limiter.hit(deps.limits.sign_in_per_address, address_key(email))
    if retry_after is not None:
        log.info("sign_in_locked", retry_after_s=math.ceil(retry_after))
        raise SignInLocked(max(1, math.ceil(retry_after)))


async def _password_check_succeeded(deps: ProfileDeps, email: str) -> None:
    await deps.limiter.reset(deps.limits.sign_in_per_address, address_key(email))


async def _password_matches(deps: ProfileDeps, account: Account, password: str) -> bool:
    """Check a signed-in member's password again (change, erasure), under the lockout.

    Raises:
        SignInLocked: Too many attempts for the address.
    """
    await _count_password_check(deps, account.email)
    if account.password_hash is None:
        await asyncio.to_thread(deps.hasher.dummy_verify, password)
        return False
    ok = await asyncio.to_thread(deps.hasher.verify, account.password_hash, password)
    if ok:
        await _password_check_succeeded(deps, account.email)
    return ok


# --- accounts ---------------------------------------------------------------------


async def register(
    cmd: commands.RegisterAccount, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Sign up; the same outcome whether or not the address already has an account.

    A new address gets an account, a profile and a verification email. An address
    that exists but is unverified gets a fresh verification email, an unclaimed
    imported one a fresh claim email, and a verified one nothing at all: the caller
    learns nothing about which addresses are registered, and the owner of a
    verified address is not spammed by strangers typing it.

    No password is in force before the address is confirmed: each registration's
    password (and display name) waits in a pending credential bound to the token
    emailed for it, and only the registration whose token is used comes into force
    (:func:`verify_email`). Someone who registers another person's address first
    therefore gains nothing when the owner registers and confirms.

    Repeated registrations of an existing address send at most the hourly email cap
    of emails (the first email of a new account always goes out).

    Raises:
        InvalidEmail, DomainNotAllowed, WeakPassword, InvalidProfile: Bad input.
    """
    async with uow:
        allowed = await _allowed_domains(uow)
    address = allowed.check(cmd.email)
    Profile.new("validation", cmd.display_name)  # display name limits, before any work
    deps.password_policy.check(cmd.password, email=str(address), display_name=cmd.display_name)
    # Hash even for an existing address so both answers take the same time.
    password_hash = await asyncio.to_thread(deps.hasher.hash, cmd.password)
    may_email = await _account_email_allowed(deps, str(address))
    async with uow:
        existing = await uow.accounts.get_by_email(str(address))
        now = deps.clock()
        if existing is None:
            account = Account.register(new_id(), address, None, now=now)
            profile = Profile.new(account.id, cmd.display_name, contact_email=str(address))
            await uow.accounts.save(account)
            await uow.profiles.save(profile)
            uow.add_event(
                _event(
                    AccountRegistered(
                        account_id=account.id, email=account.email, display_name=cmd.display_name
                    ),
                    account.id,
                )
            )
            await _send_token(
                uow,
                deps,
                account,
                profile.display_name,
                "verify",
                pending=(password_hash, profile.display_name),
            )
            log.info("account_registered", account_id=account.id)
        elif not may_email:
            log.info("registration_email_suppressed", account_id=existing.id)
        elif not existing.claimed:
            # The claim link lets its reader choose a password; this one is dropped.
            name = await _display_name(uow, existing.id)
            await _send_token(uow, deps, existing, name, "claim")
            log.info("registration_for_unclaimed_account", account_id=existing.id)
        elif not existing.email_verified:
            name = cmd.display_name.strip()
            await _send_token(uow, deps, existing, name, "verify", pending=(password_hash, name))
            log.info("registration_for_unverified_account", account_id=existing.id)
        else:
            log.info("registration_for_verified_account", account_id=existing.id)
        await uow.commit()


async def mark_email_verified(uow: ProfileUnitOfWork, account: Account, now: datetime) -> Account:
    """Confirm the address (inside an open unit of work); the profile goes to matching.

    Queues ``account.email_verified`` and the stored profile's ``profile.upserted``,
    which is how a profile first becomes visible to the other services.
    """
    if account.email_verified:
        return account
    verified = account.verify_email(now=now)
    await uow.accounts.save(verified)
    uow.add_event(_event(AccountEmailVerified(account_id=account.id), account.id))
    profile = await uow.profiles.get(account.id)
    if profile is not None:
        uow.add_event(_event(to_profile_upserted(profile), profile.id))
    return verified


async def _load_token(
    uow: ProfileUnitOfWork, secret: str, purpose: TokenPurpose, now: datetime
) -> tuple[AccountToken, Account]:
    """The spent token and its account (the caller saves the token on commit).

    Raises:
        AccountTokenInvalid: Unknown, spent, expired, wrong purpose, or account gone.
    """
    token = await uow.account_tokens.get_by_hash(hash_account_token(secret))
    if token is None:
        raise AccountTokenInvalid("This link is not valid. Ask for a new one.")
    spent = token.spend(purpose, now=now)
    account = await uow.accounts.get(token.account_id)
    if account is None:
        raise AccountTokenInvalid("This link is not valid. Ask for a new one.")
    return spent, account


async def _discard_unproven_registrations(
    uow: ProfileUnitOfWork, account_id: str, now: datetime
) -> None:
    """Someone proved the address: other registrations' links and passwords are void."""
    await uow.account_tokens.spend_unused(account_id, "verify", now)
    await uow.pending_credentials.delete_for_account(account_id)


async def _confirm_registration(
    uow: ProfileUnitOfWork, deps: ProfileDeps, account: Account, token: AccountToken
) -> Account:
    """Bring into force the password and name of the registration ``token`` was sent for.

    A token that carries no credential (issued before credentials were kept per
    registration) leaves the account without a password: its owner sets one with a
    reset link. The first registrant's password is never kept.
    """
    credential = await uow.pending_credentials.for_token(token.id)
    account = account.with_password(credential.password_hash if credential else None)
    await uow.accounts.save(account)
    profile = await uow.profiles.get(account.id)
    if credential is not None and profile is not None:
        named = profile.apply_update(
            ProfileUpdate(display_name=credential.display_name), deps.reference
        )
        if named.version != profile.version:
            await uow.profiles.save(named)
    return account


async def verify_email(
    cmd: commands.VerifyEmail, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> Account:
    """Confirm an address with the emailed token (single use).

    The registration the token was sent for comes into force (its password and
    name); every other pending registration of the address is discarded.

    Raises:
        AccountTokenInvalid: The token is unknown, used or expired.
    """
    async with uow:
        now = deps.clock()
        token, account = await _load_token(uow, cmd.token, "verify", now)
        await uow.account_tokens.save(token)
        if not account.email_verified:
            account = await _confirm_registration(uow, deps, account, token)
        await _discard_unproven_registrations(uow, account.id, now)
        account = await mark_email_verified(uow, account, now)
        await uow.commit()
    log.info("email_verified", account_id=account.id)
    return account


async def _issue_tokens(
    uow: ProfileUnitOfWork, deps: ProfileDeps, account: Account, family_id: str | None = None
) -> TokenPair:
    issued = RefreshToken.issue(
        account.id, now=deps.clock(), ttl=deps.refresh_ttl, family_id=family_id
    )
    await uow.refresh_tokens.add(issued.record)
    return TokenPair(
        access=deps.issuer.issue(account.id, is_admin=account.is_admin),
        refresh_token=issued.secret,
    )


async def sign_in(cmd: commands.SignIn, uow: ProfileUnitOfWork, deps: ProfileDeps) -> TokenPair:
    """Check an address and password and start a session.

    Every attempt is counted for the address before its password is checked, and
    past the lockout limit nothing is checked until the window moves on; a success
    resets the count. An unknown address costs one dummy argon2 verification and
    gives the same error as a wrong password.

    Before its address is confirmed an account has no password in force: the
    password of its latest registration only earns ``EmailNotVerified`` (so its
    owner knows to follow the link), never a session; any other password is wrong.

    Raises:
        SignInLocked: Too many attempts without success for the address.
        InvalidCredentials: Unknown address or wrong password.
        EmailNotVerified: The latest registration's password, address not confirmed yet.
    """
    await _count_password_check(deps, cmd.email)
    async with uow:
        account = await uow.accounts.get_by_email(cmd.email)
        pending = (
            await uow.pending_credentials.latest_for_account(account.id)
            if account is not None and account.claimed and not account.email_verified
            else None
        )
    ok = False
    if account is not None and account.email_verified and account.password_hash is not None:
        ok = await asyncio.to_thread(deps.hasher.verify, account.password_hash, cmd.password)
    elif pending is not None:
        if await asyncio.to_thread(deps.hasher.verify, pending.password_hash, cmd.password):
            raise EmailNotVerified(
                "Confirm your email address first: follow the link we sent you, or register "
                "again to get a new one."
            )
    else:
        await asyncio.to_thread(deps.hasher.dummy_verify, cmd.password)
    if not ok or account is None:
        log.info("sign_in_failed", account_known=account is not None)
        raise InvalidCredentials("The email address or password is not right.")
    new_hash = None
    if account.password_hash and deps.hasher.needs_rehash(account.password_hash):
        new_hash = await asyncio.to_thread(deps.hasher.hash, cmd.password)
    async with uow:
        current = await uow.accounts.get(account.id)
        if current is None:
            raise InvalidCredentials("The email address or password is not right.")
        if new_hash is not None:
            current = current.with_password(new_hash)
            await uow.accounts.save(current)
        pair = await _issue_tokens(uow, deps, current)
        await uow.commit()
    await _password_check_succeeded(deps, cmd.email)
    log.info("signed_in", account_id=account.id)
    return pair


async def refresh(
    cmd: commands.RefreshSession, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> TokenPair:
    """Rotate a refresh token; a reused one revokes its whole family.

    Raises:
        RefreshTokenReused: The token was already rotated (family revoked).
        RefreshTokenInvalid: Unknown, revoked or expired token, or account gone.
    """
    async with uow:
        now = deps.clock()
        record = await uow.refresh_tokens.get_by_hash(hash_refresh_token(cmd.refresh_token))
        if record is None:
            raise RefreshTokenInvalid("Your session has ended. Please sign in again.")
        try:
            rotation = record.rotate(now=now, ttl=deps.refresh_ttl)
        except RefreshTokenReused as reused:
            revoked = await uow.refresh_tokens.revoke_family(reused.family_id, now)
            await uow.commit()
            log.warning("refresh_token_reused", account_id=record.account_id, revoked=revoked)
            raise
        account = await uow.accounts.get(record.account_id)
        if account is None:
            raise RefreshTokenInvalid("Your session has ended. Please sign in again.")
        await uow.refresh_tokens.save(rotation.previous)
        await uow.refresh_tokens.add(rotation.current)
        await uow.commit()
    return TokenPair(
        access=deps.issuer.issue(account.id, is_admin=account.is_admin),
        refresh_token=rotation.secret,
    )


async def sign_out(cmd: commands.SignOut, uow: ProfileUnitOfWork, deps: ProfileDeps) -> None:
    """Revoke the session (the token's family); unknown tokens are ignored."""
    async with uow:
        record = await uow.refresh_tokens.get_by_hash(hash_refresh_token(cmd.refresh_token))
        if record is None:
            return
        await uow.refresh_tokens.revoke_family(record.family_id, deps.clock())
        await uow.commit()
    log.info("signed_out", account_id=record.account_id)


async def change_password(
    cmd: commands.ChangePassword, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Set a new password; every session of the account ends.

    Raises:
        AccountNotFound: The account was erased.
        SignInLocked: Too many password attempts for the address.
        WrongCurrentPassword: The current password is not right.
        WeakPassword: The new password breaks the policy.
    """
    async with uow:
        account = await uow.accounts.get(cmd.account_id)
        name = await _display_name(uow, cmd.account_id)
    if account is None:
        raise AccountNotFound("This account no longer exists.")
    if not await _password_matches(deps, account, cmd.current_password):
        raise WrongCurrentPassword("The current password is not right.")
    deps.password_policy.check(cmd.new_password, email=account.email, display_name=name)
    new_hash = await asyncio.to_thread(deps.hasher.hash, cmd.new_password)
    async with uow:
        current = await uow.accounts.get(cmd.account_id)
        if current is None:
            raise AccountNotFound("This account no longer exists.")
        await uow.accounts.save(current.with_password(new_hash))
        await uow.refresh_tokens.revoke_for_account(current.id, deps.clock())
        await uow.commit()
    log.info("password_changed", account_id=account.id)


async def request_password_reset(
    cmd: commands.RequestPasswordReset, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Email a reset link (a claim link for an unclaimed import) if the address is known.

    Returns normally in every case, so the answer never tells whether it is known.
    Past the address's hourly email cap nothing is sent and nothing changes: links
    already sent keep working.

    Raises:
        InvalidEmail: The text is not an email address at all.
    """
    address = parse_email(cmd.email)
    if not await _account_email_allowed(deps, str(address)):
        return
    async with uow:
        account = await uow.accounts.get_by_email(str(address))
        if account is None:
            log.info("password_reset_for_unknown_address")
            return
        name = await _display_name(uow, account.id)
        await _send_token(uow, deps, account, name, "reset" if account.claimed else "claim")
        await uow.commit()
    log.info("password_reset_requested", account_id=account.id)


async def _set_password_with_token(
    uow: ProfileUnitOfWork,
    deps: ProfileDeps,
    secret: str,
    password: str,
    purpose: TokenPurpose,
) -> Account:
    async with uow:
        _, account = await _load_token(uow, secret, purpose, deps.clock())
        name = await _display_name(uow, account.id)
    deps.password_policy.check(password, email=account.email, display_name=name)
    password_hash = await asyncio.to_thread(deps.hasher.hash, password)
    async with uow:
        now = deps.clock()
        # Spent in the same transaction as the new password: a twin request fails here.
        token, account = await _load_token(uow, secret, purpose, now)
        await uow.account_tokens.save(token)
        await uow.account_tokens.spend_unused(account.id, purpose, now)
        # The link proves the address: registrations still waiting are void.
        await _discard_unproven_registrations(uow, account.id, now)
        if purpose == "claim":
            updated = account.claim(password_hash, now=now)
            await uow.accounts.save(updated)
            if not account.email_verified:
                uow.add_event(_event(AccountEmailVerified(account_id=account.id), account.id))
        else:
            await uow.accounts.save(account.with_password(password_hash))
            updated = await mark_email_verified(uow, account.with_password(password_hash), now)
        await uow.refresh_tokens.revoke_for_account(account.id, now)
        await uow.commit()
    await _password_check_succeeded(deps, account.email)
    return updated


async def reset_password(
    cmd: commands.ResetPassword, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Set a new password with the emailed token; every session ends.

    Raises:
        AccountTokenInvalid: The token is unknown, used or expired.
        WeakPassword: The password breaks the policy.
    """
    account = await _set_password_with_token(uow, deps, cmd.token, cmd.new_password, "reset")
    log.info("password_reset", account_id=account.id)


async def claim_account(
    cmd: commands.ClaimAccount, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """An imported coach sets a password with the emailed claim token.

    Raises:
        AccountTokenInvalid: The token is unknown, used or expired.
        WeakPassword: The password breaks the policy.
    """
    account = await _set_password_with_token(uow, deps, cmd.token, cmd.password, "claim")
    log.info("account_claimed", account_id=account.id)


# --- profiles -------------------------------------------------------------------


async def get_own_profile(account_id: str, uow: ProfileUnitOfWork) -> Profile:
    """The caller's profile with contact details.

    Raises:
        ProfileNotFound: The account was erased.
    """
    async with uow:
        profile = await uow.profiles.get(account_id)
    if profile is None:
        raise ProfileNotFound("This profile no longer exists.")
    return profile


async def update_profile(
    cmd: commands.UpdateProfile, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> Profile:
    """Apply a change; a real change bumps the version and publishes ``profile.upserted``.

    Raises:
        ProfileNotFound: The account was erased.
        InvalidProfile, InvalidReference: The change breaks a rule.
    """
    async with uow:
        profile = await uow.profiles.get(cmd.account_id)
        if profile is None:
            raise ProfileNotFound("This profile no longer exists.")
        updated = profile.apply_update(cmd.update, deps.reference)
        if updated.version == profile.version:
            return profile
        await uow.profiles.save(updated)
        account = await uow.accounts.get(cmd.account_id)
        # Unlisted (unconfirmed) people stay out of matching until they confirm.
        if account is not None and account.listed:
            uow.add_event(_event(to_profile_upserted(updated), updated.id))
        await uow.commit()
    log.info("profile_updated", profile_id=updated.id, version=updated.version)
    return updated


async def _reveals_identity(
    uow: ProfileUnitOfWork, viewer_id: str, viewer_is_admin: bool, profile_id: str
) -> bool:
    if viewer_is_admin or viewer_id == profile_id:
        return True
    grants = await uow.grants.for_person(profile_id)
    return any(grant.allows(viewer_id, profile_id) for grant in grants)


async def _listed_profile(uow: ProfileUnitOfWork, profile_id: str, viewer_id: str) -> Profile:
    """The profile if others may see it at all (its owner always may).

    Raises:
        ProfileNotFound: No such profile, or its address is not confirmed yet (the
            same answer, so an unconfirmed sign-up cannot be told from none).
    """
    profile = await uow.profiles.get(profile_id)
    if profile is not None and profile_id != viewer_id:
        account = await uow.accounts.get(profile_id)
        if account is None or not account.listed:
            profile = None
    if profile is None:
        raise ProfileNotFound("No profile has this id.")
    return profile


async def get_public_profile(
    profile_id: str, viewer_id: str, viewer_is_admin: bool, uow: ProfileUnitOfWork
) -> PublicProfile | AnonymisedCard:
    """Someone's profile without contact details (anonymised when they chose so).

    Raises:
        ProfileNotFound: No such profile, or not confirmed yet.
    """
    async with uow:
        profile = await _listed_profile(uow, profile_id, viewer_id)
        reveal = await _reveals_identity(uow, viewer_id, viewer_is_admin, profile_id)
    return public_view(profile, reveal_identity=reveal)


async def get_contact(profile_id: str, viewer_id: str, uow: ProfileUnitOfWork) -> Contact:
    """Contact details, only for the owner and the other person of an active match.

    Raises:
        ProfileNotFound: No such profile, or not confirmed yet.
        ContactNotShared: No active accepted match between the two.
    """
    async with uow:
        profile = await _listed_profile(uow, profile_id, viewer_id)
        grants = await uow.grants.for_person(profile_id)
    return contact_for(profile, viewer_id, grants)


async def search_directory(
    query: DirectoryQuery,
    viewer_id: str,
    viewer_is_admin: bool,
    uow: ProfileUnitOfWork,
    deps: ProfileDeps,
) -> DirectoryPage:
    """One page of the directory (listed people only), in name order.

    The next page's cursor is sealed: it names where this page ended without
    showing anyone's name.
    """
    async with uow:
        found = await uow.profiles.search(query)
    page = found[: query.limit]
    next_cursor = (
        deps.cursors.seal(DirectoryPosition.after(page[-1]))
        if len(found) > query.limit and page
        else None
    )
    items = [
        public_view(profile, reveal_identity=viewer_is_admin or profile.id == viewer_id)
        for profile in page
    ]
    return DirectoryPage(items=items, next_cursor=next_cursor)


async def delete_account(
    cmd: commands.DeleteAccount, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Erase the person: account, profile, contact, grants (either side) and tokens.

    The id is recorded as erased in the same transaction, so a later (or replayed)
    match event naming them creates nothing (:func:`grant_contact`).

    In the same transaction, every event of theirs still in the outbox (sent and
    retained for replay, or not yet sent) is dropped, so no replay can publish their
    data again; what is written instead is ``profile.deleted``, for every other
    service to erase its copy, then a tombstone under their key on the ``profile``
    and ``account`` topics, so compacted topics forget them. After the commit the
    store's leftovers (SQLite's write-ahead log) are cleared.

    Raises:
        AccountNotFound: Already erased.
    """
    async with uow:
        account = await uow.accounts.get(cmd.account_id)
        if account is None:
            raise AccountNotFound("This account no longer exists.")
        await uow.profiles.delete(account.id)
        grants = await uow.grants.delete_for_person(account.id)
        await uow.refresh_tokens.delete_for_account(account.id)
        await uow.account_tokens.delete_for_account(account.id)
        await uow.pending_credentials.delete_for_account(account.id)
        await uow.invitations.delete_for_account(account.id)
        await uow.accounts.delete(account.id)
        await uow.erased.mark(account.id)
        dropped = await uow.drop_outbox_for_subject(account.id)
        uow.add_event(_event(ProfileDeleted(profile_id=account.id), account.id))
        uow.add_tombstone(PROFILE_TOPIC, account.id)
        uow.add_tombstone(ACCOUNT_TOPIC, account.id)
        await uow.commit()
    try:
        await deps.after_erasure()
    except SqliteBusy:
        # The erasure is committed; only the WAL still holds old pages until the next
        # checkpoint. Said loudly, but the person is told the truth: they are erased.
        log.exception("erasure_wal_not_truncated", account_id=account.id)
    # Their address's counters go too (they are keyed by a digest of it).
    await _password_check_succeeded(deps, account.email)
    await deps.limiter.reset(deps.limits.emails_per_address, address_key(account.email))
    log.info("account_erased", account_id=account.id, grants_removed=grants, events_dropped=dropped)


async def delete_own_account(
    cmd: commands.DeleteOwnAccount, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """A member erases their own account after typing their password again.

    A stolen session alone cannot erase anyone; the check counts towards the
    address's lockout like a sign-in.

    Raises:
        AccountNotFound: Already erased.
        SignInLocked: Too many password attempts for the address.
        PasswordIncorrect: The password is not right.
    """
    async with uow:
        account = await uow.accounts.get(cmd.account_id)
    if account is None:
        raise AccountNotFound("This account no longer exists.")
    if not await _password_matches(deps, account, cmd.password):
        raise PasswordIncorrect("The password is not right, so nothing was deleted.")
    await delete_account(commands.DeleteAccount(account.id), uow, deps)


async def erase_account_on_request(email: str, uow: ProfileUnitOfWork, deps: ProfileDeps) -> str:
    """An administrator erases someone who asked (by address); returns the account id.

    Raises:
        InvalidEmail: Not an address.
        AccountNotFound: No account has that address.
    """
    address = parse_email(email)
    async with uow:
        account = await uow.accounts.get_by_email(str(address))
    if account is None:
        raise AccountNotFound("No account has that address.")
    await delete_account(commands.DeleteAccount(account_id=account.id), uow, deps)
    return account.id


async def export_account(account_id: str, uow: ProfileUnitOfWork) -> dict[str, Any]:
    """Everything held about the caller (never the password hash or token hashes).

    Raises:
        AccountNotFound: The account was erased.
    """
    async with uow:
        account = await uow.accounts.get(account_id)
        if account is None:
            raise AccountNotFound("This account no longer exists.")
        profile = await uow.profiles.get(account_id)
        grants = await uow.grants.for_person(account_id)
        sessions = await uow.refresh_tokens.list_for_account(account_id)
    return {
        "account": account.model_dump(mode="json", exclude={"password_hash"}),
        "profile": profile.model_dump(mode="json") if profile else None,
        "contact_grants": [grant.model_dump(mode="json") for grant in grants],
        "sessions": [
            token.model_dump(mode="json", exclude={"token_hash", "replaced_by"})
            for token in sessions
        ],
    }


# --- administration -------------------------------------------------------------


async def get_allowed_domains(uow: ProfileUnitOfWork) -> AllowedDomains:
    """The allow-list as stored."""
    async with uow:
        return await _allowed_domains(uow)


async def replace_allowed_domains(
    cmd: commands.ReplaceAllowedDomains, uow: ProfileUnitOfWork
) -> AllowedDomains:
    """Replace the allow-list, refusing it whole if any entry is bad.

    Raises:
        InvalidAllowedDomain: Listing every bad entry in ``details``.
        InvalidInput: The list is empty (nobody could register).
    """
    rules: list[DomainRule] = []
    problems: list[dict[str, Any]] = []
    for entry in cmd.entries:
        try:
            rules.append(DomainRule.parse(entry))
        except InvalidAllowedDomain as error:
            problems.append({"entry": entry, "message": error.message})
    if problems:
        raise InvalidAllowedDomain(
            f"{len(problems)} entr{'y is' if len(problems) == 1 else 'ies are'} not valid.",
            details=problems,
        )
    if not rules:
        raise InvalidInput("The allow-list cannot be empty: nobody could register.")
    domains = AllowedDomains(rules)
    async with uow:
        await uow.domains.replace(domains)
        await uow.commit()
    log.info("allowed_domains_replaced", entries=len(domains))
    return domains


async def get_stats(uow: ProfileUnitOfWork) -> ProfileStats:
    """Usage figures."""
    async with uow:
        return await uow.profiles.stats()


async def import_coaches(
    cmd: commands.ImportCoaches, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> CoachImportReport:
    """Check (dry run) or apply the coach spreadsheet; idempotent by email.

    A real run with any bad row writes nothing and reports every problem. New
    addresses get an unclaimed account, a coach profile and a pending claim
    invitation (sent once an administrator asks: :func:`send_import_invitations`);
    existing people get the coach role and the spreadsheet's fields. Profile events
    go in the outbox's bulk lane, so they never hold up anyone's transactional email.

    Raises:
        ImportFileInvalid: The file is unusable, or (real run) some rows are bad.
    """
    async with uow:
        allowed = await _allowed_domains(uow)
    check = await asyncio.to_thread(
        parse_coach_file,
        cmd.content,
        filename=cmd.filename,
        reference=deps.reference,
        allowed=allowed,
    )
    if cmd.dry_run:
        return CoachImportReport(check=check, dry_run=True)
    if not check.ok:
        raise ImportFileInvalid(
            f"{len(check.invalid_lines())} row(s) have problems, so nothing was imported. "
            "Fix them (a dry run lists them) and upload again.",
            details=check.to_dict(),
        )
    created = updated = unchanged = 0
    invited: list[str] = []
    import_id = new_id()
    async with uow:
        now = deps.clock()
        for row in check.rows:
            account = await uow.accounts.get_by_email(row.email)
            if account is None:
                account = Account.for_import(new_id(), parse_email(row.email), now=now)
                blank = Profile.new(account.id, row.name, contact_email=account.email)
                # A new person's first stored version is the imported one.
                profile = blank.apply_update(row.to_update(None), deps.reference).model_copy(
                    update={"version": 1}
                )
                await uow.accounts.save(account)
                await uow.profiles.save(profile)
                # No email yet: the claim invitation waits for the administrator
                # (domain.invitations); the address travels with it.
                invited.append(account.id)
                uow.add_event(_event(to_profile_upserted(profile), profile.id), bulk=True)
                created += 1
                continue
            current = await uow.profiles.get(account.id) or Profile.new(account.id, row.name)
            changed = current.apply_update(row.to_update(current), deps.reference)
            if changed.version == current.version:
                unchanged += 1
                continue
            await uow.profiles.save(changed)
            uow.add_event(_event(to_profile_upserted(changed), changed.id), bulk=True)
            updated += 1
        await uow.invitations.add_import(
            CoachImportRecord(
                id=import_id, created_at=now, created=created, updated=updated, unchanged=unchanged
            ),
            invited,
        )
        await uow.commit()
    log.info(
        "coaches_imported",
        import_id=import_id,
        created=created,
        updated=updated,
        unchanged=unchanged,
    )
    return CoachImportReport(
        check=check,
        dry_run=False,
        created=created,
        updated=updated,
        unchanged=unchanged,
        import_id=import_id,
        invitations=len(invited),
    )


async def import_progress(import_id: str, uow: ProfileUnitOfWork) -> ImportProgress:
    """An import and where its claim invitations stand.

    Raises:
        ImportNotFound: No import has that id.
    """
    async with uow:
        progress = await uow.invitations.progress(import_id)
    if progress is None:
        raise ImportNotFound("No import has that id.")
    return progress


async def recent_imports(uow: ProfileUnitOfWork, limit: int = 20) -> list[ImportProgress]:
    """The latest imports with their invitation progress, newest first."""
    async with uow:
        return await uow.invitations.recent(limit)


async def send_import_invitations(
    import_id: str, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> ImportProgress:
    """An administrator sends an import's claim invitations: they are queued for the
    invitation sender, which releases them at its bounded rate. Asking again queues
    nothing more.

    Raises:
        ImportNotFound: No import has that id.
    """
    async with uow:
        if await uow.invitations.progress(import_id) is None:
            raise ImportNotFound("No import has that id.")
        queued = await uow.invitations.queue(import_id, deps.clock())
        progress = await uow.invitations.progress(import_id)
        await uow.commit()
    assert progress is not None
    log.info("import_invitations_queued", import_id=import_id, queued=queued)
    return progress


async def release_invitations(uow: ProfileUnitOfWork, deps: ProfileDeps, limit: int) -> int:
    """Release up to ``limit`` queued invitations; returns how many were handled.

    Each invitation's ``account.registered`` and ``account.claim_requested`` events
    are written in the transaction that marks it sent (bulk lane), so a crash or a
    restart never loses one and never sends one twice. A coach who has claimed the
    account or confirmed the address meanwhile is skipped.
    """
    if limit <= 0:
        return 0
    async with uow:
        account_ids = await uow.invitations.next_queued(limit)
        if not account_ids:
            return 0
        sent: list[str] = []
        skipped: list[str] = []
        for account_id in account_ids:
            account = await uow.accounts.get(account_id)
            if account is None or account.claimed or account.email_verified:
                skipped.append(account_id)
                continue
            name = await _display_name(uow, account.id)
            uow.add_event(
                _event(
                    AccountRegistered(
                        account_id=account.id, email=account.email, display_name=name
                    ),
                    account.id,
                ),
                bulk=True,
            )
            await _send_token(uow, deps, account, name, "claim", bulk=True)
            sent.append(account_id)
        await uow.invitations.settle(sent, "sent")
        await uow.invitations.settle(skipped, "skipped")
        await uow.commit()
    log.info("claim_invitations_released", sent=len(sent), skipped=len(skipped))
    return len(account_ids)


# --- contact grants (applied inside the consumer's open unit of work) -----------


async def _names_an_erased_person(
    uow: ProfileUnitOfWork, cmd: commands.GrantContact | commands.RevokeContact
) -> bool:
    return await uow.erased.contains(cmd.mentee_id) or await uow.erased.contains(cmd.mentor_id)


async def grant_contact(cmd: commands.GrantContact, uow: ProfileUnitOfWork, at: datetime) -> None:
    """Record the grant of an accepted match; an ended grant is never reopened.

    Nothing is recorded when either person was erased: an acceptance that arrives
    after an erasure (late, or replayed) must not name them again.
    """
    if await _names_an_erased_person(uow, cmd):
        log.info("grant_for_erased_person_ignored", match_id=cmd.match_id)
        return
    if await uow.grants.get(cmd.match_id) is not None:
        return
    await uow.grants.save(
        ContactGrant(
            match_id=cmd.match_id, mentee_id=cmd.mentee_id, mentor_id=cmd.mentor_id, granted_at=at
        )
    )
    log.info("contact_granted", match_id=cmd.match_id)


async def revoke_contact(cmd: commands.RevokeContact, uow: ProfileUnitOfWork, at: datetime) -> None:
    """End the grant of a match (an ended record is kept if none existed yet).

    For an erased person there is nothing left to end, and no record is made.
    """
    if await _names_an_erased_person(uow, cmd):
        log.info("revocation_for_erased_person_ignored", match_id=cmd.match_id)
        return
    grant = await uow.grants.get(cmd.match_id) or ContactGrant(
        match_id=cmd.match_id, mentee_id=cmd.mentee_id, mentor_id=cmd.mentor_id, granted_at=at
    )
    await uow.grants.save(grant.end(at=at))
    log.info("contact_revoked", match_id=cmd.match_id)


# --- start-up -------------------------------------------------------------------


async def seed_allowed_domains(uow: ProfileUnitOfWork, initial: AllowedDomains) -> bool:
    """Store the initial allow-list once; later starts keep what administrators set."""
    async with uow:
        if await uow.domains.get() is not None:
            return False
        await uow.domains.replace(initial)
        await uow.commit()
    log.info("allowed_domains_seeded", entries=len(initial))
    return True


async def ensure_admin(email: str, password: str, uow: ProfileUnitOfWork, deps: ProfileDeps) -> str:
    """Create the first administrator (verified) if absent, or give an account the role.

    An existing account whose address nobody has proven (an unverified registration,
    an unclaimed import) is never adopted as it stands: whoever registered it may not
    own the mailbox. It is reset to the configured credentials instead: its pending
    registrations and links are void, its password becomes ``ADMIN_PASSWORD`` and its
    address counts as verified (the operator vouches for it). A verified account
    keeps its own password and gains the role.

    Returns:
        The administrator's account id.

    Raises:
        InvalidEmail: ``ADMIN_EMAIL`` is not an address.
    """
    address = parse_email(email)
    async with uow:
        existing = await uow.accounts.get_by_email(str(address))
    proven = existing is not None and existing.email_verified and existing.claimed
    if existing is not None and proven and existing.is_admin:
        return existing.id
    password_hash = None if proven else await asyncio.to_thread(deps.hasher.hash, password)
    async with uow:
        now = deps.clock()
        account = await uow.accounts.get_by_email(str(address))
        if account is None:
            assert password_hash is not None
            account = (
                Account.register(new_id(), address, password_hash, now=now)
                .verify_email(now=now)
                .grant_admin()
            )
            profile = Profile.new(account.id, "Administrator", contact_email=account.email)
            await uow.profiles.save(profile)
            uow.add_event(
                _event(
                    AccountRegistered(
                        account_id=account.id,
                        email=account.email,
                        display_name=profile.display_name,
                    ),
                    account.id,
                )
            )
        elif account.email_verified and account.claimed:
            account = account.grant_admin()
        else:
            assert password_hash is not None
            purposes: tuple[TokenPurpose, ...] = ("verify", "reset", "claim")
            for purpose in purposes:
                await uow.account_tokens.spend_unused(account.id, purpose, now)
            await uow.pending_credentials.delete_for_account(account.id)
            await uow.refresh_tokens.revoke_for_account(account.id, now)
            account = account.with_configured_credentials(password_hash)
            await uow.accounts.save(account)
            account = (await mark_email_verified(uow, account, now)).grant_admin()
            log.warning("unverified_administrator_account_reset", account_id=account.id)
        await uow.accounts.save(account)
        await uow.commit()
    log.info("administrator_ensured", account_id=account.id)
    return account.id


__all__ = [
    "CoachImportReport",
    "DirectoryPage",
    "DomainError",
    "EmailNotVerified",
    "ProfileDeps",
    "SignInLocked",
    "TokenPair",
]
