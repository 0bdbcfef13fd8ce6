"""Personal data: a member's export, and erasure (by the member or on request)."""

from __future__ import annotations

from typing import Any

import structlog

from mentor_shared.events.schemas import ACCOUNT_TOPIC, PROFILE_TOPIC, ProfileDeleted
from mentor_shared.storage.sqlite import SqliteBusy
from profile_service.domain import commands
from profile_service.domain.allowlist import parse_email
from profile_service.domain.errors import AccountNotFound, PasswordIncorrect
from profile_service.service.accounts import existing_account
from profile_service.service.deps import ProfileDeps, profile_event
from profile_service.service.password_checks import forget_address, password_matches
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)


async def delete_account(
    cmd: commands.DeleteAccount, uow: ProfileUnitOfWork, deps: ProfileDeps
) -> None:
    """Erase the person: account, profile, contact, grants (either side) and tokens.

    The id is recorded as erased in the same transaction, so a later (or replayed)
    match event naming them creates nothing
    (:func:`profile_service.service.grants.grant_contact`).

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
        account = await existing_account(uow, cmd.account_id)
        await uow.profiles.delete(account.id)
        grants = await uow.grants.delete_for_person(account.id)
        await uow.refresh_tokens.delete_for_account(account.id)
        await uow.account_tokens.delete_for_account(account.id)
        await uow.pending_credentials.delete_for_account(account.id)
        await uow.invitations.delete_for_account(account.id)
        await uow.accounts.delete(account.id)
        await uow.erased.mark(account.id)
        dropped = await uow.drop_outbox_for_subject(account.id)
        uow.add_event(profile_event(ProfileDeleted(profile_id=account.id), account.id))
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
    await forget_address(deps, account.email)
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
        account = await existing_account(uow, cmd.account_id)
    if not await password_matches(deps, account, cmd.password):
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
        account = await existing_account(uow, account_id)
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
