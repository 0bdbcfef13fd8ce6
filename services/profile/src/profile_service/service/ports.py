"""Ports: what the profile service's use cases need from the outside world.

Adapters in ``profile_service.adapters`` implement them; tests use fakes or the
real adapters where they are cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mentor_shared.bus.records import UnitOfWork
from profile_service.domain.account_tokens import AccountToken, PendingCredential, TokenPurpose
from profile_service.domain.accounts import Account
from profile_service.domain.allowlist import AllowedDomains
from profile_service.domain.directory import DirectoryPosition, DirectoryQuery, ProfileStats
from profile_service.domain.grants import ContactGrant
from profile_service.domain.invitations import CoachImportRecord, ImportProgress, InvitationState
from profile_service.domain.profiles import Profile
from profile_service.domain.tokens import RefreshToken


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


class DirectoryCursors(Protocol):
    """Turns directory positions into opaque cursors and back.

    A position holds a sort key derived from a name: a cursor must reveal nothing
    of it and cannot be forged to probe the name order.
    """

    def seal(self, position: DirectoryPosition) -> str:
        """The cursor handed to the client."""
        ...

    def open(self, cursor: str) -> DirectoryPosition:
        """The position a cursor holds.

        Raises:
            InvalidCursor: Tampered with, forged, or made with another key.
        """
        ...


class AccountRepository(Protocol):
    """Accounts (credentials and status)."""

    async def get(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> Account | None:
        """The account with this address (any case), or None."""
        ...

    async def save(self, account: Account) -> None:
        """Insert or replace an account."""
        ...

    async def delete(self, account_id: str) -> None:
        """Remove an account (no error if absent)."""
        ...


class ProfileRepository(Protocol):
    """Profiles, including contact details."""

    async def get(self, profile_id: str) -> Profile | None:
        """The profile with this id, or None."""
        ...

    async def save(self, profile: Profile) -> None:
        """Insert or replace a profile."""
        ...

    async def delete(self, profile_id: str) -> None:
        """Remove a profile (no error if absent)."""
        ...

    async def search(self, query: DirectoryQuery) -> list[Profile]:
        """Listed profiles matching ``query`` in sort-key then id order, after ``query.after``.

        Listed: the account's address is confirmed, or it is an imported coach not yet
        claimed (see ``Account.listed``). The sort key is ``directory.sort_key``.

        Returns at most ``query.limit + 1`` profiles so the caller can tell whether
        another page follows.
        """
        ...

    async def stats(self) -> ProfileStats:
        """Counts of people, roles and departments (accounts joined with profiles)."""
        ...


class RefreshTokenRepository(Protocol):
    """Refresh tokens, stored by hash."""

    async def add(self, token: RefreshToken) -> None:
        """Store a new token."""
        ...

    async def get_by_hash(self, token_hash: str) -> RefreshToken | None:
        """The token with this hash, or None."""
        ...

    async def save(self, token: RefreshToken) -> None:
        """Replace a stored token (rotation, revocation)."""
        ...

    async def revoke_family(self, family_id: str, at: datetime) -> int:
        """Revoke every live token of a family; returns how many were revoked."""
        ...

    async def revoke_for_account(self, account_id: str, at: datetime) -> int:
        """Revoke every live token of an account; returns how many were revoked."""
        ...

    async def list_for_account(self, account_id: str) -> list[RefreshToken]:
        """Every token of an account (for the export)."""
        ...

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account (erasure)."""
        ...


class AccountTokenRepository(Protocol):
    """Single-use emailed tokens (verify, reset, claim), stored by hash."""

    async def add(self, token: AccountToken) -> None:
        """Store a new token."""
        ...

    async def get_by_hash(self, token_hash: str) -> AccountToken | None:
        """The token with this hash, or None."""
        ...

    async def save(self, token: AccountToken) -> None:
        """Replace a stored token (spent)."""
        ...

    async def spend_unused(self, account_id: str, purpose: TokenPurpose, at: datetime) -> None:
        """Mark every unused token of this purpose used (one of them was just used)."""
        ...

    async def delete_for_account(self, account_id: str) -> None:
        """Remove every token of an account (erasure)."""
        ...


class ContactGrantRepository(Protocol):
    """Contact grants made by accepted matches."""

    async def get(self, match_id: str) -> ContactGrant | None:
        """The grant of a match, or None."""
        ...

    async def save(self, grant: ContactGrant) -> None:
        """Insert or replace a grant."""
        ...

    async def for_person(self, person_id: str) -> list[ContactGrant]:
        """Every grant where the person is the mentee or the mentor."""
        ...

    async def delete_for_person(self, person_id: str) -> int:
        """Remove every grant naming the person on either side; returns how many."""
        ...


class AllowedDomainRepository(Protocol):
    """The email-domain allow-list, kept as data."""

    async def get(self) -> AllowedDomains | None:
        """The list, or None before it was first seeded."""
        ...

    async def replace(self, domains: AllowedDomains) -> None:
        """Store the whole list."""
        ...


class PendingCredentialRepository(Protocol):
    """Passwords chosen by registrations of unverified addresses, one per emailed token."""

    async def add(self, credential: PendingCredential) -> None:
        """Store a registration's credential (bound to its token's id)."""
        ...

    async def for_token(self, token_id: str) -> PendingCredential | None:
        """The credential bound to a token, or None."""
        ...

    async def latest_for_account(self, account_id: str) -> PendingCredential | None:
        """The most recent registration's credential for an account, or None."""
        ...

    async def delete_for_account(self, account_id: str) -> None:
        """Discard every pending credential of an account (confirmation, reset, erasure)."""
        ...


class ErasedSubjectRepository(Protocol):
    """Ids of people this service erased (``mentor_shared.erasure``), kept so that
    nothing is ever created for them again (a replayed match event, for one)."""

    async def mark(self, subject_id: str) -> None:
        """Record an erased id (in the erasure's own transaction)."""
        ...

    async def contains(self, subject_id: str) -> bool:
        """Whether the id was erased."""
        ...


class InvitationRepository(Protocol):
    """Coach imports and their claim invitations (``domain.invitations``)."""

    async def add_import(self, record: CoachImportRecord, invited: Sequence[str]) -> None:
        """Store an import and a ``pending`` invitation for each account in ``invited``."""
        ...

    async def progress(self, import_id: str) -> ImportProgress | None:
        """An import and its invitation counts, or None."""
        ...

    async def recent(self, limit: int) -> list[ImportProgress]:
        """The latest imports, newest first."""
        ...

    async def queue(self, import_id: str, at: datetime) -> int:
        """Move the import's ``pending`` invitations to ``queued``; returns how many."""
        ...

    async def next_queued(self, limit: int) -> list[str]:
        """Account ids of ``queued`` invitations, oldest import first."""
        ...

    async def settle(self, account_ids: Sequence[str], state: InvitationState) -> int:
        """Move ``queued`` invitations to ``sent`` or ``skipped``; returns how many moved."""
        ...

    async def delete_for_account(self, account_id: str) -> None:
        """Forget a person's invitation (erasure)."""
        ...


class ProfileUnitOfWork(UnitOfWork, Protocol):
    """The profile service's transaction with its repositories.

    Each store's unit of work subclasses this port and sets every repository in
    ``open_repositories``, so the repositories are declared here only.
    """

    accounts: AccountRepository
    """Accounts."""
    profiles: ProfileRepository
    """Profiles."""
    refresh_tokens: RefreshTokenRepository
    """Refresh tokens (sessions)."""
    account_tokens: AccountTokenRepository
    """Emailed single-use tokens."""
    grants: ContactGrantRepository
    """Contact grants."""
    domains: AllowedDomainRepository
    """The allow-list."""
    erased: ErasedSubjectRepository
    """Ids of erased people."""
    pending_credentials: PendingCredentialRepository
    """Registrations' credentials waiting for their token."""
    invitations: InvitationRepository
    """Coach imports and their claim invitations."""
