"""Argon2id password hashing (argon2-cffi), the :class:`PasswordHasher` port's adapter."""

from __future__ import annotations

import secrets

import structlog
from argon2 import PasswordHasher as _Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from profile_service.domain.passwords import normalise_password

log = structlog.get_logger(__name__)

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
MIN_MEMORY_COST_KIB = 19456
MIN_TIME_COST = 2


class Argon2PasswordHasher:
    """Argon2id with parameters at or above the OWASP minimum.

    Passwords are NFKC-normalised before hashing and verifying (see
    :func:`profile_service.domain.passwords.normalise_password`).
    """

    def __init__(
        self,
        *,
        memory_cost_kib: int = MIN_MEMORY_COST_KIB,
        time_cost: int = MIN_TIME_COST,
        parallelism: int = 1,
    ) -> None:
        """Build a hasher.

        Args:
            memory_cost_kib: Memory per hash in KiB (at least 19456).
            time_cost: Passes over the memory (at least 2).
            parallelism: Lanes; 1 keeps one sign-in to one core on small machines.

        Raises:
            ValueError: A parameter is below the minimum.
        """
        if memory_cost_kib < MIN_MEMORY_COST_KIB:
            raise ValueError(f"memory_cost_kib must be at least {MIN_MEMORY_COST_KIB}")
        if time_cost < MIN_TIME_COST:
            raise ValueError(f"time_cost must be at least {MIN_TIME_COST}")
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        self._hasher = _Argon2(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # A real hash with today's parameters, so a dummy verification costs exactly
        # what a real one does. Its password is random and thrown away.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))

    @property
    def memory_cost_kib(self) -> int:
        """Memory per hash in KiB."""
        return int(self._hasher.memory_cost)

    @property
    def time_cost(self) -> int:
        """Number of passes."""
        return int(self._hasher.time_cost)

    @property
    def parallelism(self) -> int:
        """Number of lanes."""
        return int(self._hasher.parallelism)

    def hash(self, password: str) -> str:
        """Hash a new password with a fresh random salt."""
        return str(self._hasher.hash(normalise_password(password)))

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches; a malformed stored hash counts as no match."""
        try:
            return bool(self._hasher.verify(password_hash, normalise_password(password)))
        except VerifyMismatchError:
            return False
        except InvalidHashError:
            log.warning("password_hash_unreadable")
            return False
        except VerificationError:
            log.warning("password_verification_failed")
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash's parameters differ from this hasher's (then rehash on sign-in)."""
        try:
            return bool(self._hasher.check_needs_rehash(password_hash))
        except InvalidHashError:
            log.warning("password_hash_unreadable")
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend one verification's worth of time and memory; the answer is discarded."""
        try:
            self._hasher.verify(self._dummy_hash, normalise_password(password))
        except VerificationError:
            # Expected: the dummy hash's password was never kept, so nothing can match it.
            return
