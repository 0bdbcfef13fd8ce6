"""Sessions: signing in with a password, rotating refresh tokens, signing out.

Password hashing runs in a worker thread and never inside a transaction
(:mod:`profile_service.service.password_checks`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from profile_service.domain import commands
from profile_service.domain.accounts import Account
from profile_service.domain.errors import (
    EmailNotVerified,
    InvalidCredentials,
    RefreshTokenInvalid,
    RefreshTokenReused,
)
from profile_service.domain.tokens import RefreshToken, hash_refresh_token
from profile_service.service.deps import ProfileDeps
from profile_service.service.password_checks import (
    count_password_check,
    password_check_succeeded,
)
from profile_service.service.ports import IssuedAccessToken, ProfileUnitOfWork

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TokenPair:
    """What the token endpoint returns."""

    access: IssuedAccessToken
    refresh_token: str


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
    await count_password_check(deps, cmd.email)
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
        raise InvalidCredentials()
    new_hash = None
    if account.password_hash and deps.hasher.needs_rehash(account.password_hash):
        new_hash = await asyncio.to_thread(deps.hasher.hash, cmd.password)
    async with uow:
        current = await uow.accounts.get(account.id)
        if current is None:
            raise InvalidCredentials()
        if new_hash is not None:
            current = current.with_password(new_hash)
            await uow.accounts.save(current)
        pair = await _issue_tokens(uow, deps, current)
        await uow.commit()
    await password_check_succeeded(deps, cmd.email)
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
            raise RefreshTokenInvalid()
        try:
            rotation = record.rotate(now=now, ttl=deps.refresh_ttl)
        except RefreshTokenReused as reused:
            revoked = await uow.refresh_tokens.revoke_family(reused.family_id, now)
            await uow.commit()
            log.warning("refresh_token_reused", account_id=record.account_id, revoked=revoked)
            raise
        account = await uow.accounts.get(record.account_id)
        if account is None:
            raise RefreshTokenInvalid()
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
