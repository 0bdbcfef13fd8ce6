"""Accounts: who can sign in, and the decisions that bring a person in.

An account holds credentials and status, separate from the profile (same id).
:meth:`Account.register` and :meth:`Account.import_` decide what a new person is
made of: the account, the first profile and the events announcing them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mentor_shared.events.schemas import AccountEmailVerified, AccountRegistered, ProfileUpserted
from profile_service.domain.allowlist import EmailAddress, email_key
from profile_service.domain.profiles import Profile, ProfileUpdate, to_profile_upserted
from profile_service.domain.reference import ReferenceData

__all__ = ["Account", "Registration", "RegistrationEvent", "new_id"]

RegistrationEvent = AccountRegistered | AccountEmailVerified | ProfileUpserted


def new_id() -> str:
    """A new random identifier for an account, profile, token or import."""
    return str(uuid.uuid4())


class Account(BaseModel):
    """Who can sign in: credentials and status, separate from the profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    email: str = Field(description="As parsed: local part as typed, domain lower-case")
    email_verified: bool = False
    email_verified_at: datetime | None = None
    password_hash: str | None = Field(
        default=None, description="None until an imported coach claims"
    )
    is_admin: bool = False
    created_at: datetime
    claimed: bool = Field(default=True, description="False for imported coaches until they claim")

    @classmethod
    def register(
        cls,
        account_id: str,
        email: EmailAddress,
        *,
        now: datetime,
        display_name: str | None = None,
        profile: Profile | None = None,
        password_hash: str | None = None,
        verified: bool = False,
    ) -> Registration:
        """A new person: their account, first profile and the events that announce them.

        A self-registration gives a ``display_name`` and no password: its password waits
        in a pending credential until the emailed token is used, and the person stays
        unlisted (no profile event) until then. An account verified at once (a demo
        person: ``verified=True``) gives its password hash and may give its whole
        ``profile``; it is listed from the start, so its events say so too
        (``account.email_verified``, ``profile.upserted``).

        Raises:
            InvalidProfile: The display name breaks a limit.
            ValueError: Neither or both of ``display_name`` and ``profile`` given, or a
                profile of another id.
        """
        account = cls(id=account_id, email=str(email), password_hash=password_hash, created_at=now)
        if display_name is not None and profile is None:
            profile = Profile.new(account_id, display_name, contact_email=account.email)
        elif profile is None or display_name is not None or profile.id != account_id:
            raise ValueError("register takes a display name or the account's own profile")
        events: list[RegistrationEvent] = [
            AccountRegistered(
                account_id=account.id, email=account.email, display_name=profile.display_name
            )
        ]
        if verified:
            account = account.verify_email(now=now)
            events += [AccountEmailVerified(account_id=account.id), to_profile_upserted(profile)]
        return Registration(account=account, profile=profile, events=tuple(events))

    @classmethod
    def import_(
        cls,
        account_id: str,
        email: EmailAddress,
        display_name: str,
        fields: ProfileUpdate,
        reference: ReferenceData,
        *,
        now: datetime,
    ) -> Registration:
        """An imported coach: an unclaimed account (no password until claimed) and the
        spreadsheet's profile, listed at once (the administrator vouches for them).

        Only ``profile.upserted`` is announced now: ``account.registered`` travels
        with the claim invitation, when an administrator sends it.

        Raises:
            InvalidProfile, InvalidReference: The row breaks a profile rule.
        """
        account = cls(id=account_id, email=str(email), created_at=now, claimed=False)
        profile = Profile.new(
            account_id,
            display_name,
            contact_email=account.email,
            fields=fields,
            reference=reference,
        )
        return Registration(
            account=account, profile=profile, events=(to_profile_upserted(profile),)
        )

    @property
    def email_key(self) -> str:
        """The address lower-cased: one account per address whatever the case typed."""
        return email_key(self.email)

    @property
    def roles(self) -> list[str]:
        """Token roles: ``["member"]`` or ``["member", "admin"]``."""
        return ["member", "admin"] if self.is_admin else ["member"]

    @property
    def listed(self) -> bool:
        """Whether other people and services may see this person at all.

        A self-registered person is invisible (directory, profile pages, matching)
        until they confirm their address, so nobody can put an unchecked card in
        front of colleagues. An imported coach is listed from the import: the
        administrator's upload of the department's coach list vouches for them.
        """
        return self.email_verified or not self.claimed

    @property
    def can_sign_in(self) -> bool:
        """Whether a password sign-in is possible (claimed and with a password)."""
        return self.claimed and self.password_hash is not None

    def verify_email(self, *, now: datetime) -> Account:
        """The account with its address confirmed (idempotent)."""
        if self.email_verified:
            return self
        return self.model_copy(update={"email_verified": True, "email_verified_at": now})

    def with_password(self, password_hash: str | None) -> Account:
        """The account with a new password hash (change, reset, rehash, confirmation).

        ``None`` leaves it without a password (a registration confirmed by a link that
        carried none); a reset sets one.
        """
        return self.model_copy(update={"password_hash": password_hash})

    def claim(self, password_hash: str, *, now: datetime) -> Account:
        """An imported account taken over through the emailed link, which proves the address."""
        return (
            self.with_password(password_hash)
            .model_copy(update={"claimed": True})
            .verify_email(now=now)
        )

    def with_configured_credentials(self, password_hash: str) -> Account:
        """An account nobody proved the address of, taken over by the operator's settings.

        Used for ``ADMIN_EMAIL`` only: the configured password replaces whatever a
        registration chose, and the account counts as claimed (verify it next).
        """
        return self.with_password(password_hash).model_copy(update={"claimed": True})

    def grant_admin(self) -> Account:
        """The account with the administrator role."""
        return self.model_copy(update={"is_admin": True})


@dataclass(frozen=True, slots=True)
class Registration:
    """A new person as a decision made them: store both, publish the events (in order)."""

    account: Account
    profile: Profile
    events: tuple[RegistrationEvent, ...]
