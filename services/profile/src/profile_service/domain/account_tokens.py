"""Single-use emailed tokens: address verification, password reset and account claim.

Like refresh tokens they are 256-bit random secrets stored only as SHA-256 hashes,
so a copy of the database cannot be turned into working links. Each expires, and
using one spends it together with every other unused token of its purpose.

A registration's password is not the account's until the address is proven: it is
kept as a :class:`PendingCredential` bound to the verification token emailed for that
registration, and only the one whose token is used comes into force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict

from profile_service.domain.accounts import new_id
from profile_service.domain.errors import InvalidInput
from profile_service.domain.tokens import hash_refresh_token, new_refresh_secret

TokenPurpose = Literal["verify", "reset", "claim"]


class AccountTokenInvalid(InvalidInput):
    """The emailed link's token is unknown, spent, expired or for another purpose."""

    code = "token_invalid"


def hash_account_token(secret: str) -> str:
    """The stored form of an emailed token (SHA-256 hex, as for refresh tokens)."""
    return hash_refresh_token(secret)


class AccountToken(BaseModel):
    """A stored single-use token (its hash, never the secret)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    account_id: str
    purpose: TokenPurpose
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls, account_id: str, purpose: TokenPurpose, *, now: datetime, ttl: timedelta
    ) -> IssuedAccountToken:
        """A new token for ``purpose``; the secret is returned once, for the email."""
        secret = new_refresh_secret()
        record = cls(
            id=new_id(),
            account_id=account_id,
            purpose=purpose,
            token_hash=hash_account_token(secret),
            issued_at=now,
            expires_at=now + ttl,
        )
        return IssuedAccountToken(record=record, secret=secret)

    def spend(self, purpose: TokenPurpose, *, now: datetime) -> AccountToken:
        """The token marked used.

        Raises:
            AccountTokenInvalid: Wrong purpose, already used, or expired.
        """
        if self.purpose != purpose or self.used_at is not None or now >= self.expires_at:
            raise AccountTokenInvalid(
                "This link has expired or has already been used. Ask for a new one."
            )
        return self.model_copy(update={"used_at": now})


@dataclass(frozen=True, slots=True)
class IssuedAccountToken:
    """A new token: the record to store and the secret to email."""

    record: AccountToken
    secret: str


class PendingCredential(BaseModel):
    """What one registration of an unverified address chose, waiting for its token.

    Several people may register the same unverified address; each gets their own
    pending credential and their own emailed token. Whoever uses a token proves they
    read the mailbox, and only that registration's password and name come into force.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_id: str
    account_id: str
    password_hash: str
    display_name: str
    created_at: datetime
