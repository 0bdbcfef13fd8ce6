"""Emailed links (verification, password reset, account claim) and the per-address
cap on how many emails a stranger can make the service send."""

from __future__ import annotations

import math

import structlog

from mentor_shared.events.schemas import (
    AccountClaimRequested,
    AccountPasswordResetRequested,
    AccountVerificationRequested,
)
from profile_service.domain.account_tokens import AccountToken, PendingCredential, TokenPurpose
from profile_service.domain.accounts import Account
from profile_service.service.deps import ProfileDeps, profile_event
from profile_service.service.limits import address_key
from profile_service.service.ports import ProfileUnitOfWork

log = structlog.get_logger(__name__)

_TOKEN_EVENTS: dict[
    TokenPurpose,
    type[AccountVerificationRequested | AccountPasswordResetRequested | AccountClaimRequested],
] = {
    "verify": AccountVerificationRequested,
    "reset": AccountPasswordResetRequested,
    "claim": AccountClaimRequested,
}


async def send_token(
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
    uow.add_event(profile_event(payload, account.id), bulk=bulk)


async def account_email_allowed(deps: ProfileDeps, email: str) -> bool:
    """Count one account email for the address; False once its hourly cap is spent.

    Counted for every request, whether or not the address has an account, so the
    cap says nothing about which addresses are registered. Runs its own short
    transaction: call it outside a unit of work.
    """
    retry_after = await deps.limiter.hit(deps.limits.emails_per_address, address_key(email))
    if retry_after is not None:
        log.info("account_email_suppressed", retry_after_s=math.ceil(retry_after))
    return retry_after is None
