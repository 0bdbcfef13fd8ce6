"""Ports: what the profile service's use cases need from the outside world.

Adapters in ``profile_service.adapters`` implement them; tests use fakes or the
real adapters where they are cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class PasswordHasher(Protocol):
    """Hashes and checks passwords.

    Every method is CPU-bound by design (tens of milliseconds): call it from a worker
    thread, never on the event loop.
    """

    def hash(self, password: str) -> str:
        """Hash a new password with a fresh salt; returns the encoded hash to store."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches ``password_hash``; False for a wrong password."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether a stored hash was made with weaker parameters than today's."""
        ...

    def dummy_verify(self, password: str) -> None:
        """Do the work of one verification against nothing.

        Call it when the account does not exist (or has no password yet), so that the
        sign-in answer takes as long as for a real account with a wrong password.
        """
        ...


@dataclass(frozen=True, slots=True)
class IssuedAccessToken:
    """A signed access token and what the token endpoint reports about it."""

    token: str
    jti: str
    issued_at: datetime
    expires_at: datetime

    @property
    def expires_in(self) -> int:
        """Lifetime in whole seconds (the OAuth2 ``expires_in`` field)."""
        return int((self.expires_at - self.issued_at).total_seconds())


class AccessTokenIssuer(Protocol):
    """Signs access tokens and publishes the public keys that verify them."""

    def issue(self, account_id: str, *, is_admin: bool) -> IssuedAccessToken:
        """Sign a short-lived access token for the account."""
        ...

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set served at ``/.well-known/jwks.json``."""
        ...
