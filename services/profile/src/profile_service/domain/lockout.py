"""Sign-in lockout: too many wrong passwords for one address in a window.

Failures are counted per address (lower-cased), whether or not an account has it,
so the lockout answer cannot be used to learn which addresses are registered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from profile_service.domain.errors import DomainError

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """``max_failures`` failed sign-ins within ``window`` lock the address."""

    max_failures: int = MAX_FAILURES
    window: timedelta = WINDOW

    def window_start(self, now: datetime) -> datetime:
        """Failures before this instant no longer count."""
        return now - self.window

    def retry_after(self, failures: Sequence[datetime], now: datetime) -> int | None:
        """Whole seconds until another attempt is allowed, or None when not locked.

        Args:
            failures: Times of failed attempts (any order; old ones are ignored).
            now: The current time.
        """
        recent = sorted(at for at in failures if at > self.window_start(now))
        if len(recent) < self.max_failures:
            return None
        # Unlocked once enough of the oldest failures leave the window.
        unlock_at = recent[len(recent) - self.max_failures] + self.window
        return max(1, math.ceil((unlock_at - now).total_seconds()))


class SignInLocked(DomainError):
    """Too many failed sign-ins for the address; try again after ``retry_after_s``."""

    code = "too_many_sign_in_attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(
            "Too many failed sign-in attempts. Wait a few minutes, or reset your password."
        )
        self.retry_after_s = retry_after_s
