"""Settings of the profile service (environment variables, DESIGN.md "Running it")."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr

from mentor_shared.settings import ServiceSettings


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
    lockout_max_failures: int = Field(default=10, ge=1)
    lockout_window_s: int = Field(default=900, ge=1)
    argon2_memory_kib: int = Field(default=19456, description="At least the OWASP 19456")
    argon2_time_cost: int = Field(default=2, description="At least 2")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="The web frontend, for emailed links"
    )

    def secret_fields(self) -> dict[str, str | None]:
        """The administrator's password must be real in production."""
        password = self.admin_password.get_secret_value() if self.admin_password else None
        return {"admin_password": password}
