"""What the use cases share: their collaborators, and how their events are stamped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mentor_shared.clock import utc_now
from mentor_shared.events.envelope import EventData, new_event
from mentor_shared.limits import RateLimiter
from mentor_shared.sealing import Sealer
from profile_service.domain.account_tokens import TokenPurpose
from profile_service.domain.accounts import Registration
from profile_service.domain.passwords import PasswordPolicy
from profile_service.domain.reference import ReferenceData
from profile_service.domain.tokens import REFRESH_TOKEN_TTL
from profile_service.service.limits import AccountLimits
from profile_service.service.ports import (
    AccessTokenIssuer,
    DirectoryCursors,
    PasswordHasher,
    ProfileUnitOfWork,
)

SOURCE = "profile"
"""The ``source`` of every event this service publishes."""


async def _nothing_to_clear() -> None:
    return None


@dataclass(frozen=True)
class ProfileDeps:
    """What the use cases need besides the unit of work (built once by bootstrap)."""

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


def profile_event(data: EventData, subject: str) -> Any:
    """An event of this service about ``subject`` (its key on the topic)."""
    return new_event(data, subject=subject, source=SOURCE)


async def save_registration(
    uow: ProfileUnitOfWork, registration: Registration, *, bulk: bool = False
) -> None:
    """Store a new person (account and profile) and queue their events, in order.

    Args:
        bulk: Queue the events in the outbox's bulk lane (imports).
    """
    await uow.accounts.save(registration.account)
    await uow.profiles.save(registration.profile)
    for data in registration.events:
        uow.add_event(profile_event(data, registration.account.id), bulk=bulk)
