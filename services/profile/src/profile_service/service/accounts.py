"""Accounts: registration, address confirmation and passwords (change, reset, claim).

Password hashing runs in a worker thread and never inside a transaction: the SQLite
store has one writer, and holding it for tens of milliseconds per registration would
serialise every other write behind argon2."""

from __future__ import annotations

import asyncio
from datetime import datetime

import structlog

from mentor_shared.events.schemas import AccountEmailVerified
from profile_service.domain import commands
from profile_service.domain.account_tokens import (
    AccountToken,
    AccountTokenInvalid,
    TokenPurpose,
    hash_account_token,
)
from profile_service.domain.accounts import Account, new_id
from profile_service.domain.allowlist import parse_email
from profile_service.domain.errors import AccountNotFound, WrongCurrentPassword
from profile_service.domain.profiles import Profile, ProfileUpdate, to_profile_upserted
from profile_service.service.account_emails import account_email_allowed, send_token
from profile_service.service.admin import stored_allowed_domains
from profile_service.service.deps import ProfileDeps, profile_event, save_registration
from profile_service.service.password_checks import password_check_succeeded, password_matches
from profile_service.service.ports import ProfileUnitOfWork
from profile_service.service.profiles import display_name_of

log = structlog.get_logger(__name__)


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
        allowed = await stored_allowed_domains(uow)
    address = allowed.check(cmd.email)
    Profile.new("validation", cmd.display_name)  # display name limits, before any work
    deps.password_policy.check(cmd.password, email=str(address), display_name=cmd.display_name)
    # Hash even for an existing address so both answers take the same time.
    password_hash = await asyncio.to_thread(deps.hasher.hash, cmd.password)
    may_email = await account_email_allowed(deps, str(address))
    async with uow:
        existing = await uow.accounts.get_by_email(str(address))
        now = deps.clock()
        if existing is None:
            registration = Account.register(
                new_id(), address, display_name=cmd.display_name, now=now
            )
            account, profile = registration.account, registration.profile
            await save_registration(uow, registration)
            await send_token(
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
            name = await display_name_of(uow, existing.id)
            await send_token(uow, deps, existing, name, "claim")
            log.info("registration_for_unclaimed_account", account_id=existing.id)
        elif not existing.email_verified:
            name = cmd.display_name.strip()
            await send_token(uow, deps, existing, name, "verify", pending=(password_hash, name))
            log.info("registration_for_unverified_account", account_id=existing.id)
        else:
            log.info("registration_for_verified_account", account_id=existing.id)
        await uow.commit()


async def existing_account(uow: ProfileUnitOfWork, account_id: str) -> Account:
    """The signed-in member's account (inside an open unit of work).

    Raises:
        AccountNotFound: The account was erased.
    """
    account = await uow.accounts.get(account_id)
    if account is None:
        raise AccountNotFound("This account no longer exists.")
    return account


async def mark_email_verified(uow: ProfileUnitOfWork, account: Account, now: datetime) -> Account:
    """Confirm the address (inside an open unit of work); the profile goes to matching.

    Queues ``account.email_verified`` and the stored profile's ``profile.upserted``,
    which is how a profile first becomes visible to the other services.
    """
    if account.email_verified:
        return account
    verified = account.verify_email(now=now)
    await uow.accounts.save(verified)
    uow.add_event(profile_event(AccountEmailVerified(account_id=account.id), account.id))
    profile = await uow.profiles.get(account.id)
    if profile is not None:
        uow.add_event(profile_event(to_profile_upserted(profile), profile.id))
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
        account = await existing_account(uow, cmd.account_id)
        name = await display_name_of(uow, cmd.account_id)
    if not await password_matches(deps, account, cmd.current_password):
        raise WrongCurrentPassword("The current password is not right.")
    deps.password_policy.check(cmd.new_password, email=account.email, display_name=name)
    new_hash = await asyncio.to_thread(deps.hasher.hash, cmd.new_password)
    async with uow:
        current = await existing_account(uow, cmd.account_id)
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
    if not await account_email_allowed(deps, str(address)):
        return
    async with uow:
        account = await uow.accounts.get_by_email(str(address))
        if account is None:
            log.info("password_reset_for_unknown_address")
            return
        name = await display_name_of(uow, account.id)
        await send_token(uow, deps, account, name, "reset" if account.claimed else "claim")
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
        name = await display_name_of(uow, account.id)
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
                uow.add_event(
                    profile_event(AccountEmailVerified(account_id=account.id), account.id)
                )
        else:
            await uow.accounts.save(account.with_password(password_hash))
            updated = await mark_email_verified(uow, account.with_password(password_hash), now)
        await uow.refresh_tokens.revoke_for_account(account.id, now)
        await uow.commit()
    await password_check_succeeded(deps, account.email)
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
