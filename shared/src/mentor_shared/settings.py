"""Settings every service shares, read from environment variables.

Each service subclasses :class:`ServiceSettings` and adds its own fields. The same
variable names work for ``make run``, the tests and the containers (DESIGN.md,
"Running it").
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password"})


class ServiceSettings(BaseSettings):
    """Base settings; environment variables are upper-case field names."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool | None = Field(
        default=None, description="JSON logs; defaults to on in production, off otherwise"
    )

    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: str | None = Field(
        default=None,
        description="Browser origins allowed to call the API cross-site, comma separated "
        "(https://app.department.gov.uk); off when unset",
    )

    data_dir: Path = Path(".data")
    mongodb_uri: str | None = None

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_idempotence: bool = Field(
        default=False,
        description="Idempotent producer; on for Apache Kafka, off for the development broker",
    )
    kafka_partitions: int = Field(
        default=4,
        description=(
            "Partitions of the topics a service creates. 4 is what the development broker"
            " gives a topic a client's request creates; with Apache Kafka set the broker's"
            " num.partitions to the same number"
        ),
    )
    kafka_replication_factor: int = 1
    kafka_request_timeout_s: float = 10.0
    kafka_fetch_max_wait_ms: int = Field(
        default=10, description="Low: the development broker holds every fetch this long"
    )
    kafka_metadata_max_age_ms: int = Field(
        default=5_000,
        description=(
            "How often consumers refresh topic metadata; short, so that partitions a"
            " recovering producer recreated are found within seconds"
        ),
    )
    kafka_session_timeout_ms: int = Field(
        default=10_000,
        ge=500,
        description=(
            "Consumer group session timeout (heartbeats every third of it). The"
            " development broker forms a group only after about half of it (5 s at"
            " the default, 1 s at 2000); Apache Kafka accepts 6000 and more by default"
        ),
    )
    consumer_max_attempts: int = 5
    consumer_retry_backoff_s: float = 0.2
    outbox_retention_days: float = 7.0
    outbox_poll_interval_s: float = 0.05
    broker_check_interval_s: float = 2.0
    broker_recovery_settle_s: float = Field(
        default=8.0,
        description="After recreating lost topics, wait this long so consumers rejoin first",
    )

    profile_url: str = "http://127.0.0.1:8001"
    jwks_url: str | None = None
    jwt_issuer: str = "mentor-match"
    jwt_audience: str = "mentor-match"

    event_seal_key: SecretStr | None = Field(
        default=None,
        description=(
            "Fernet key sealing single-use links on the broker (profile and notifications"
            " share it); unset: generated once under DATA_DIR"
        ),
    )
    max_body_bytes: int = Field(
        default=1_048_576, description="Largest request body accepted (413 above it)"
    )
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        description=(
            "Peers whose X-Forwarded-For names the client (the web frontend);"
            " comma separated addresses"
        ),
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    mail_from: str = "Mentor Match <no-reply@mentor-match.service.gov.uk>"

    @property
    def log_as_json(self) -> bool:
        """JSON logs in production unless told otherwise."""
        return self.environment == "production" if self.log_json is None else self.log_json

    @property
    def resolved_jwks_url(self) -> str:
        """Where the profile service publishes its signing keys."""
        return self.jwks_url or f"{self.profile_url.rstrip('/')}/.well-known/jwks.json"

    def sqlite_path(self) -> Path:
        """The service's own SQLite file under the data folder."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / f"{self.service_name}.sqlite3"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment == "production":
            for name, value in self.secret_fields().items():
                if value is not None and value.strip().lower() in PLACEHOLDER_SECRETS:
                    raise ValueError(f"{name} must be set to a real secret in production")
        return self

    def secret_fields(self) -> dict[str, str | None]:
        """Secrets that must not keep a placeholder value in production (override)."""
        return {}

    def cors_origin_list(self) -> list[str]:
        """The origins ``CORS_ORIGINS`` lists (empty: CORS off)."""
        return [o.strip().rstrip("/") for o in (self.cors_origins or "").split(",") if o.strip()]
