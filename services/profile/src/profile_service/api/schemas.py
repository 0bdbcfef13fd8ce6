"""Request and response bodies of the profile service's HTTP API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from profile_service.domain.contact import Contact
from profile_service.domain.profiles import AnonymisedCard, Profile, ProfileUpdate, PublicProfile

__all__ = [
    "AccountCreate",
    "AnonymisedCard",
    "ClaimRequest",
    "Contact",
    "DirectoryPageOut",
    "DomainsOut",
    "DomainsUpdate",
    "ImportListOut",
    "ImportOut",
    "LinkedInImportOut",
    "PasswordChange",
    "PasswordResetConfirm",
    "PasswordResetRequest",
    "Profile",
    "ProfileUpdate",
    "PublicProfile",
    "RefreshRequest",
    "RegistrationAccepted",
    "StatsOut",
    "TokenResponse",
    "VerifyRequest",
]

EmailField = Field(min_length=3, max_length=320)
# Argon2 cost grows with input; the policy allows 256 characters, this bounds the rest.
PasswordField = Field(min_length=1, max_length=1024)
TokenField = Field(min_length=1, max_length=512)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCreate(_Request):
    """Sign-up form."""

    email: str = EmailField
    password: str = PasswordField
    display_name: str = Field(min_length=1, max_length=100)


class RegistrationAccepted(BaseModel):
    """The same answer whether or not the address already had an account."""

    status: str = "pending_verification"
    message: str = (
        "If this address can be used, we have sent it an email. Follow the link in it "
        "to confirm your address."
    )


class VerifyRequest(_Request):
    """The token from the verification email."""

    token: str = TokenField


class TokenResponse(BaseModel):
    """OAuth2 token response."""

    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    refresh_token: str
    expires_in: int


class RefreshRequest(_Request):
    """A refresh token to rotate or revoke."""

    refresh_token: str = TokenField


class PasswordChange(_Request):
    """Change of password while signed in."""

    current_password: str = PasswordField
    new_password: str = PasswordField


class AccountDeletion(_Request):
    """Confirmation of one's own erasure: the password again."""

    password: str = PasswordField


class PasswordResetRequest(_Request):
    """Ask for a reset link."""

    email: str = EmailField


class _PasswordWithToken(_Request):
    """A password to set, proven by an emailed single-use token."""

    token: str = TokenField
    password: str = PasswordField


class PasswordResetConfirm(_PasswordWithToken):
    """Set a password with the emailed reset token."""


class ClaimRequest(_PasswordWithToken):
    """An imported coach sets a password with the emailed claim token."""


class DirectoryPageOut(BaseModel):
    """One page of the directory; pass ``next_cursor`` back as ``cursor``."""

    items: list[PublicProfile | AnonymisedCard]
    next_cursor: str | None


class PrefillChangeOut(BaseModel):
    """One field a LinkedIn import would change."""

    field: str
    current: Any
    proposed: Any


class LinkedInImportOut(BaseModel):
    """Preview (or result) of a LinkedIn import."""

    applied: bool
    changes: list[PrefillChangeOut]
    files_used: list[str]
    notes: list[str]
    profile: Profile | None = Field(default=None, description="The profile after applying")


class DomainsOut(BaseModel):
    """The allow-list."""

    domains: list[str]


class DomainsUpdate(_Request):
    """A new allow-list (replaces the old one)."""

    domains: list[str] = Field(max_length=5000)


class StatsOut(BaseModel):
    """Usage figures."""

    users: int
    verified: int
    mentors: int
    mentees: int
    coaches: int
    by_department: dict[str, int]


class InvitationProgressOut(BaseModel):
    """Where an import's claim invitations stand."""

    total: int = Field(description="One per coach the import created (less any erased since)")
    pending: int = Field(description="Not sent yet: waiting for an administrator")
    queued: int = Field(description="Being sent, at CLAIM_INVITATIONS_PER_MINUTE at most")
    sent: int
    skipped: int = Field(description="Not sent: the coach had claimed or confirmed meanwhile")
    send_requested_at: str | None = Field(description="When an administrator sent them")
    done: bool = Field(description="Nothing pending or queued")


class ImportOut(BaseModel):
    """One coach import (a real run) and its invitations."""

    id: str
    created_at: str
    created: int
    updated: int
    unchanged: int
    invitations: InvitationProgressOut


class ImportListOut(BaseModel):
    """The latest coach imports, newest first."""

    items: list[ImportOut]
