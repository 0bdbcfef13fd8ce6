"""The profile service's abuse limits: how often each public door may be used.

Counted by the shared rate limiter in the service's own store, so every replica
holds the same limit. Per-IP limits answer 429 with ``Retry-After``; the per-address
email cap is silent (the caller gets the usual answer, no email goes out), so that
neither tells anyone whether an address has an account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mentor_shared.limits import Limit, key_digest
from profile_service.domain.allowlist import email_key

PerIpLimit = Literal["register_per_ip", "sign_in_per_ip", "password_reset_per_ip", "token_per_ip"]

HOUR = 3600.0


# Defaults; ProfileSettings gives the same numbers (see docs/profile.md, "Settings").
REGISTER_PER_IP = Limit("register_per_ip", 100, HOUR)
SIGN_IN_PER_IP = Limit("sign_in_per_ip", 600, 900.0)
PASSWORD_RESET_PER_IP = Limit("password_reset_per_ip", 50, HOUR)
TOKEN_PER_IP = Limit("token_per_ip", 100, HOUR)
EMAILS_PER_ADDRESS = Limit("account_emails_per_address", 3, HOUR)
SIGN_IN_PER_ADDRESS = Limit("sign_in_per_address", 10, 900.0)


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """Every limit on the account doors."""

    register_per_ip: Limit = REGISTER_PER_IP
    sign_in_per_ip: Limit = SIGN_IN_PER_IP
    password_reset_per_ip: Limit = PASSWORD_RESET_PER_IP
    token_per_ip: Limit = TOKEN_PER_IP
    """Verify, reset confirmation and claim: every door that takes an emailed token."""
    emails_per_address: Limit = EMAILS_PER_ADDRESS
    """Verification, reset and claim emails to one address, whoever asks."""
    sign_in_per_address: Limit = SIGN_IN_PER_ADDRESS
    """Password checks for one address without a success (the lockout)."""

    def per_ip(self, name: PerIpLimit) -> Limit:
        """One of the per-IP limits by name."""
        limit: Limit = getattr(self, name)
        return limit


def address_key(email: str) -> str:
    """The limiter key of an address: a digest, so no store holds the address itself."""
    return key_digest(email_key(email))
