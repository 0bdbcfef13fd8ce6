"""Sign-in lockout: too many password attempts without success for one address.

Attempts are counted per address (a digest of it, lower-cased) by the shared rate
limiter, whether or not an account has the address, so the lockout answer cannot be
used to learn which addresses are registered. Each attempt is counted before its
password is checked (see ``service.password_checks.count_password_check``); a
success resets it.
"""

from __future__ import annotations

from mentor_shared.errors import RateLimited


class SignInLocked(RateLimited):
    """Too many failed sign-ins for the address; try again after ``retry_after_s``
    (answered 429 with ``Retry-After``)."""

    code = "too_many_sign_in_attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "Too many failed sign-in attempts. Wait a few minutes, or reset your password.",
            retry_after_s=retry_after_s,
        )
