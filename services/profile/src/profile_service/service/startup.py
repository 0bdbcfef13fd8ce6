"""Start-up work: the first allow-list and the configured administrator."""

from __future__ import annotations

import asyncio

import structlog

from profile_service.domain.account_tokens import TokenPurpose
from profile_service.domain.accounts import Account, new_id
from profile_service.domain.allowlist import AllowedDomains, parse_email
from profile_service.service.accounts import mark_email_verified
from profile_service.service.deps import ProfileDeps, save_registration
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)


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
            # Only account.registered is announced for it (no profile.upserted), as before.
            registration = Account.register(
                new_id(),
                address,
                display_name="Administrator",
                password_hash=password_hash,
                now=now,
            )
            await save_registration(uow, registration)
            account = registration.account.verify_email(now=now).grant_admin()
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
