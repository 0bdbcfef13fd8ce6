"""Refresh tokens: opaque secrets stored only as hashes, rotated on every use.

Each sign-in starts a *family*. Refreshing marks the presented token as rotated and
issues its successor in the same family. If a rotated token is presented again,
someone holds a copy (it leaked, or an attacker raced the owner), so the caller
revokes the whole family and both parties must sign in again (OAuth 2.0 Security
Best Current Practice, refresh token rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from profile_service.domain.accounts import new_id
from profile_service.domain.errors import RefreshTokenInvalid, RefreshTokenReused

REFRESH_TOKEN_TTL = timedelta(days=30)


def new_refresh_secret() -> str:
    """A new opaque refresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(secret: str) -> str:
    """SHA-256 hex digest of a refresh token: the only form ever stored.

    A fast hash is enough: the secret has 256 random bits, so there is nothing to
    brute-force, unlike a password.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class RefreshToken(BaseModel):
    """A stored refresh token (its hash, never the secret) and its place in a family."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    account_id: str
    family_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None
    replaced_by: str | None = None
    revoked_at: datetime | None = None

    @classmethod
    def issue(
        cls,
        account_id: str,
        *,
        now: datetime,
        ttl: timedelta = REFRESH_TOKEN_TTL,
        family_id: str | None = None,
    ) -> IssuedRefreshToken:
        """A new token; a new family unless ``family_id`` continues one."""
        secret = new_refresh_secret()
        record = cls(
            id=new_id(),
            account_id=account_id,
            family_id=family_id or new_id(),
            token_hash=hash_refresh_token(secret),
            issued_at=now,
            expires_at=now + ttl,
        )
        return IssuedRefreshToken(record=record, secret=secret)

    def matches(self, secret: str) -> bool:
        """Whether ``secret`` is this token (constant-time comparison of the hashes)."""
        return hmac.compare_digest(self.token_hash, hash_refresh_token(secret))

    def is_usable(self, now: datetime) -> bool:
        """Not rotated, not revoked and not expired."""
        return self.rotated_at is None and self.revoked_at is None and now < self.expires_at

    def rotate(self, *, now: datetime, ttl: timedelta = REFRESH_TOKEN_TTL) -> RefreshRotation:
        """Spend this token and issue its successor in the same family.

        Raises:
            RefreshTokenReused: This token was already rotated; revoke the family
                (``error.family_id``) before answering.
            RefreshTokenInvalid: The token was revoked or has expired.
        """
        if self.rotated_at is not None:
            raise RefreshTokenReused(
                "This session was ended for safety because an old sign-in token was reused. "
                "Please sign in again.",
                family_id=self.family_id,
            )
        if self.revoked_at is not None or now >= self.expires_at:
            raise RefreshTokenInvalid()
        issued = RefreshToken.issue(self.account_id, now=now, ttl=ttl, family_id=self.family_id)
        spent = self.model_copy(update={"rotated_at": now, "replaced_by": issued.record.id})
        return RefreshRotation(previous=spent, current=issued.record, secret=issued.secret)

    def revoke(self, *, now: datetime) -> RefreshToken:
        """The token revoked (sign-out, reuse detected, account deleted); idempotent."""
        if self.revoked_at is not None:
            return self
        return self.model_copy(update={"revoked_at": now})


@dataclass(frozen=True, slots=True)
class IssuedRefreshToken:
    """A new token: the record to store and the secret to hand out once."""

    record: RefreshToken
    secret: str


@dataclass(frozen=True, slots=True)
class RefreshRotation:
    """The result of a refresh: the spent token, its successor and the successor's secret."""

    previous: RefreshToken
    current: RefreshToken
    secret: str


def revoke_family(
    tokens: Iterable[RefreshToken], family_id: str, *, now: datetime
) -> list[RefreshToken]:
    """Every token of ``family_id`` among ``tokens``, revoked (for stores without a bulk update)."""
    return [token.revoke(now=now) for token in tokens if token.family_id == family_id]
