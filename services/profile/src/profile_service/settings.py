"""Settings of the profile service (environment variables, DESIGN.md "Running it")."""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, SecretStr, model_validator

from mentor_shared.settings import ServiceSettings

# Documented in docs/profile.md; refused in production together with demo data itself.
DEMO_DEFAULT_PASSWORD = "mentor-match-demo-2026"  # noqa: S105 (public, development only)


class ProfileSettings(ServiceSettings):
    """Accounts, credentials, profiles and the allow-list."""

    service_name: str = "profile"
    port: int = Field(default=8001, validation_alias=AliasChoices("PROFILE_PORT", "PORT"))

    admin_email: str | None = Field(default=None, description="First administrator's address")
    admin_password: SecretStr | None = Field(
        default=None, description="First administrator's password (created at start if absent)"
    )
    allowed_domains: str | None = Field(
        default=None, description="Extra allowed domains at first start (comma separated)"
    )
    jwt_key_path: Path | None = Field(
        default=None, description="Ed25519 PEM signing key; DATA_DIR/jwt_signing_key.pem if unset"
    )
    jwt_previous_key_path: Path | None = Field(
        default=None, description="Retired key still published in the JWKS during rotation"
    )
    access_token_ttl_s: int = Field(default=900, ge=60)
    refresh_token_ttl_s: int = Field(default=30 * 86_400, ge=300)
    verification_token_ttl_s: int = Field(default=24 * 3600, ge=300)
    reset_token_ttl_s: int = Field(default=3600, ge=300)
    claim_token_ttl_s: int = Field(default=14 * 86_400, ge=300)
    lockout_max_failures: int = Field(
        default=10, ge=1, description="Password attempts without success per address and window"
    )
    lockout_window_s: int = Field(default=900, ge=1)
    register_limit_per_ip: int = Field(default=100, ge=1, description="Registrations per IP")
    register_limit_window_s: int = Field(default=3600, ge=1)
    sign_in_limit_per_ip: int = Field(default=600, ge=1, description="Sign-ins per IP")
    sign_in_limit_window_s: int = Field(default=900, ge=1)
    password_reset_limit_per_ip: int = Field(
        default=50, ge=1, description="Password reset requests per IP"
    )
    password_reset_limit_window_s: int = Field(default=3600, ge=1)
    token_limit_per_ip: int = Field(
        default=100, ge=1, description="Verify, reset confirmation and claim calls per IP"
    )
    token_limit_window_s: int = Field(default=3600, ge=1)
    account_emails_per_address: int = Field(
        default=3, ge=1, description="Verification, reset and claim emails per address"
    )
    account_emails_window_s: int = Field(default=3600, ge=1)
    claim_invitations_per_minute: int = Field(
        default=600,
        ge=1,
        le=60_000,
        description=(
            "Claim invitations of coach imports released per minute at most, once an "
            "administrator sends them (per profile process)"
        ),
    )
    import_max_body_bytes: int = Field(
        default=6 * 2**20, ge=1024, description="Whole request of POST /v1/admin/import"
    )
    linkedin_max_body_bytes: int = Field(
        default=21 * 2**20,
        ge=1024,
        description="Whole request of POST /v1/profiles/me/import/linkedin",
    )
    argon2_memory_kib: int = Field(default=19456, description="At least the OWASP 19456")
    argon2_time_cost: int = Field(default=2, description="At least 2")
    demo_data: bool = Field(
        default=False,
        description=(
            "Create synthetic civil servants at start (once); `make run` sets DEMO_DATA=1, "
            "DEMO_DATA=0 turns it off; refused in production"
        ),
    )
    demo_people_file: Path | None = Field(
        default=None,
        description=(
            "JSON Lines of the demo people to create when DEMO_DATA is on; `make run` "
            "writes DATA_DIR/demo-people.jsonl (mentor_match_ops.demo)"
        ),
    )
    demo_password: SecretStr | None = Field(
        default=None,
        description=f"Password of every demo account; {DEMO_DEFAULT_PASSWORD!r} if unset",
    )

    @model_validator(mode="after")
    def _demo_data_only_outside_production_and_with_people(self) -> Self:
        if self.environment == "production" and self.demo_data:
            raise ValueError("DEMO_DATA must be off in production")
        if self.demo_data and self.demo_people_file is None:
            raise ValueError("DEMO_DATA needs DEMO_PEOPLE_FILE (`make run` writes it)")
        return self

    def resolved_demo_password(self) -> str:
        """The demo accounts' password: ``DEMO_PASSWORD`` or the documented default."""
        if self.demo_password is not None:
            return self.demo_password.get_secret_value()
        return DEMO_DEFAULT_PASSWORD

    def secret_fields(self) -> dict[str, str | None]:
        """The administrator's password must be real in production."""
        password = self.admin_password.get_secret_value() if self.admin_password else None
        return {"admin_password": password}
