"""The profile service's domain errors, in the shared families of :mod:`mentor_shared.errors`.

Each has a stable machine code and carries its message; the shared HTTP handler
gives each family its status (``InvalidInput`` -> 422, ``Unauthenticated`` -> 401
with ``WWW-Authenticate: Bearer``, ``Forbidden`` -> 403, ``NotFound`` -> 404,
``Conflict`` -> 409) and renders ``{"error": {"code", "message", "details"}}``.
The families are re-exported here so the domain names one module.
"""

from __future__ import annotations

from mentor_shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)

__all__ = [
    "AccessTokenInvalid",
    "AccountNotFound",
    "Conflict",
    "ContactNotShared",
    "DomainError",
    "DomainNotAllowed",
    "EmailAlreadyRegistered",
    "EmailNotVerified",
    "Forbidden",
    "ImportFileInvalid",
    "ImportNotFound",
    "InvalidAllowedDomain",
    "InvalidCredentials",
    "InvalidEmail",
    "InvalidInput",
    "InvalidProfile",
    "InvalidReference",
    "LinkedInExportInvalid",
    "NotFound",
    "PasswordIncorrect",
    "ProfileNotFound",
    "RefreshTokenInvalid",
    "RefreshTokenReused",
    "Unauthenticated",
    "UnknownSkill",
    "WeakPassword",
    "WrongCurrentPassword",
]


# --- invalid input ------------------------------------------------------------


class InvalidEmail(InvalidInput):
    """The text is not a usable email address."""

    code = "invalid_email"


class DomainNotAllowed(InvalidInput):
    """The address is well formed but its domain is not on the allow-list."""

    code = "domain_not_allowed"


class InvalidAllowedDomain(InvalidInput):
    """An allow-list entry (from an administrator or ALLOWED_DOMAINS) is malformed or too broad."""

    code = "invalid_allowed_domain"


class WeakPassword(InvalidInput):
    """The password breaks the password policy; ``details`` lists every reason."""

    code = "weak_password"


class InvalidReference(InvalidInput):
    """A department, profession, grade or region code is not in the reference lists."""

    code = "invalid_reference"


class UnknownSkill(InvalidInput):
    """A skill id is not in the skills vocabulary."""

    code = "unknown_skill"


class InvalidProfile(InvalidInput):
    """Profile fields break a limit (length, count, phone format...)."""

    code = "invalid_profile"


class ImportFileInvalid(InvalidInput):
    """An uploaded file cannot be read as what it claims to be."""

    code = "import_file_invalid"


class LinkedInExportInvalid(ImportFileInvalid):
    """The upload is not a usable LinkedIn data export (or one of its CSV files)."""

    code = "linkedin_export_invalid"


# --- authentication -------------------------------------------------------------


class InvalidCredentials(Unauthenticated):
    """Unknown email or wrong password; deliberately does not say which."""

    code = "invalid_credentials"
    message = "The email address or password is not right."


class AccessTokenInvalid(Unauthenticated):
    """The access token is malformed, expired, or not signed by a current key."""

    code = "access_token_invalid"


class RefreshTokenInvalid(Unauthenticated):
    """The refresh token is unknown, expired or revoked."""

    code = "refresh_token_invalid"
    message = "Your session has ended. Please sign in again."


class RefreshTokenReused(RefreshTokenInvalid):
    """A refresh token that was already rotated came back: its whole family is revoked."""

    code = "refresh_token_reused"

    def __init__(self, message: str, *, family_id: str) -> None:
        super().__init__(message)
        # Kept off ``details`` so the family id is never echoed to the caller.
        self.family_id = family_id


# --- forbidden / conflict -------------------------------------------------------


class ContactNotShared(Forbidden):
    """Contact details are only for the two people of an active accepted match."""

    code = "contact_not_shared"


class EmailAlreadyRegistered(Conflict):
    """An account with this address exists."""

    code = "email_already_registered"


# --- account lifecycle ----------------------------------------------------------


class EmailNotVerified(Forbidden):
    """The password is right but the address has not been confirmed yet."""

    code = "email_not_verified"


class PasswordIncorrect(Forbidden):
    """The password given to confirm a sensitive action (erasure) is not right."""

    code = "password_incorrect"


class WrongCurrentPassword(InvalidInput):
    """A password change gave the wrong current password."""

    code = "wrong_current_password"


class AccountNotFound(NotFound):
    """The signed-in account no longer exists (erased)."""

    code = "account_not_found"


class ImportNotFound(NotFound):
    """No coach import has that id."""

    code = "import_not_found"


class ProfileNotFound(NotFound):
    """No profile has this id."""

    code = "profile_not_found"
