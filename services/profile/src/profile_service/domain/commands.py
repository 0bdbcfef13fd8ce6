"""Commands: what callers ask the profile service to do (imperative names)."""

from __future__ import annotations

from dataclasses import dataclass

from profile_service.domain.profiles import ProfileUpdate


@dataclass(frozen=True, slots=True)
class RegisterAccount:
    """Sign up with a work address."""

    email: str
    password: str
    display_name: str


@dataclass(frozen=True, slots=True)
class VerifyEmail:
    """Confirm an address with the emailed token."""

    token: str


@dataclass(frozen=True, slots=True)
class SignIn:
    """Exchange an address and password for tokens."""

    email: str
    password: str


@dataclass(frozen=True, slots=True)
class RefreshSession:
    """Exchange a refresh token for new tokens (rotation)."""

    refresh_token: str


@dataclass(frozen=True, slots=True)
class SignOut:
    """End the session a refresh token belongs to."""

    refresh_token: str


@dataclass(frozen=True, slots=True)
class ChangePassword:
    """Set a new password, knowing the current one."""

    account_id: str
    current_password: str
    new_password: str


@dataclass(frozen=True, slots=True)
class RequestPasswordReset:
    """Email a reset link if the address has an account."""

    email: str


@dataclass(frozen=True, slots=True)
class ResetPassword:
    """Set a new password with the emailed reset token."""

    token: str
    new_password: str


@dataclass(frozen=True, slots=True)
class ClaimAccount:
    """An imported coach sets their password with the emailed claim token."""

    token: str
    password: str


@dataclass(frozen=True, slots=True)
class UpdateProfile:
    """Change some fields of one's own profile."""

    account_id: str
    update: ProfileUpdate


@dataclass(frozen=True, slots=True)
class DeleteAccount:
    """Erase an account and everything held about it."""

    account_id: str


@dataclass(frozen=True, slots=True)
class DeleteOwnAccount:
    """A member erases their own account, confirming with their password."""

    account_id: str
    password: str


@dataclass(frozen=True, slots=True)
class ReplaceAllowedDomains:
    """An administrator sets the allow-list."""

    entries: list[str]


@dataclass(frozen=True, slots=True)
class ImportCoaches:
    """An administrator imports the coach spreadsheet (CSV or Excel .xlsx)."""

    content: bytes
    dry_run: bool
    filename: str = ""


@dataclass(frozen=True, slots=True)
class GrantContact:
    """A match was accepted: its two people may see each other's contact details."""

    match_id: str
    mentee_id: str
    mentor_id: str


@dataclass(frozen=True, slots=True)
class RevokeContact:
    """A match ended or was withdrawn: contact details are hidden again."""

    match_id: str
    mentee_id: str
    mentor_id: str
