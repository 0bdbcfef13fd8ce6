"""Password checks of known members (sign-in, password change, erasure) under the
per-address lockout.

Password hashing runs in a worker thread and never inside a transaction: the SQLite
store has one writer, and holding it for tens of milliseconds per check would
serialise every other write behind argon2."""

from __future__ import annotations

import asyncio
import math

import structlog

from profile_service.domain.accounts import Account
from profile_service.domain.lockout import SignInLocked
from profile_service.service.deps import ProfileDeps
from profile_service.service.limits import address_key

log = structlog.get_logger(__name__)


async def count_password_check(deps: ProfileDeps, email: str) -> None:
    """Count a password check for the address before it runs (the lockout).

    Counting first, atomically in the shared store, is what bounds the checks: any
    number of concurrent attempts get at most the limit's count of password checks.
    A success resets the count (:func:`password_check_succeeded`).

    Raises:
        SignInLocked: The address used up its attempts for the window.
    """
    retry_after = await deps.limiter.hit(deps.limits.sign_in_per_address, address_key(email))
    if retry_after is not None:
        log.info("sign_in_locked", retry_after_s=math.ceil(retry_after))
        raise SignInLocked(max(1, math.ceil(retry_after)))


async def password_check_succeeded(deps: ProfileDeps, email: str) -> None:
    await deps.limiter.reset(deps.limits.sign_in_per_address, address_key(email))


async def password_matches(deps: ProfileDeps, account: Account, password: str) -> bool:
    """Check a signed-in member's password again (change, erasure), under the lockout.

    Raises:
        SignInLocked: Too many attempts for the address.
    """
    await count_password_check(deps, account.email)
    if account.password_hash is None:
        await asyncio.to_thread(deps.hasher.dummy_verify, password)
        return False
    ok = await asyncio.to_thread(deps.hasher.verify, account.password_hash, password)
    if ok:
        await password_check_succeeded(deps, account.email)
    return ok


async def forget_address(deps: ProfileDeps, email: str) -> None:
    """Drop the address's counters (lockout and email cap): its owner was erased."""
    await password_check_succeeded(deps, email)
    await deps.limiter.reset(deps.limits.emails_per_address, address_key(email))
