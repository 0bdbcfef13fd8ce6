"""Settings of the notifications service (environment variables)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field

from mentor_shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    """Notifications service settings; see docs/notifications.md for each variable."""

    service_name: str = "notifications"
    port: int = Field(default=8004, validation_alias=AliasChoices("NOTIFICATIONS_PORT", "PORT"))

    public_url: str = Field(
        default="http://127.0.0.1:8000", description="The web front end; links in emails"
    )
    api_url: str = Field(
        default="http://127.0.0.1:8004",
        description="Where this service is reached from outside; unsubscribe links",
    )

    email_sender: Literal["smtp", "notify"] = "smtp"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_timeout_s: float = 15.0

    notify_api_key: str | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"
    notify_template_ids: dict[str, str] = Field(
        default_factory=dict,
        description='JSON object kind -> Notify template id; "default" for the rest',
    )

    unsubscribe_secret: str = Field(
        default="change-me", description="HMAC key of unsubscribe links; required in production"
    )
    unsubscribe_link_ttl_days: float = Field(
        default=90.0, gt=0, description="How long an email's unsubscribe link works"
    )

    message_email_window_s: float = 3600.0
    email_max_attempts: int = 8
    email_backoff_base_s: float = 1.0
    email_backoff_max_s: float = 900.0
    webhook_max_attempts: int = 6
    webhook_backoff_base_s: float = 2.0
    webhook_backoff_max_s: float = 600.0
    webhook_timeout_s: float = 10.0
    webhook_allow_private: bool = Field(
        default=False,
        description="Allow http and local/private webhook addresses (development and tests)",
    )
    delivery_poll_interval_s: float = 1.0
    delivery_batch: int = 50
    bulk_emails_per_minute: float = Field(
        default=600.0,
        gt=0,
        description="Claim invitations of a coach import sent per minute at most; "
        "every other email goes before them",
    )
    delivery_lease_s: float = 120.0
    digest_hour_utc: int = Field(
        default=7, ge=0, le=23, description="Hour (UTC) the daily digests are made and sent"
    )

    def secret_fields(self) -> dict[str, str | None]:
        """Secrets refused when left at a placeholder in production."""
        fields: dict[str, str | None] = {"UNSUBSCRIBE_SECRET": self.unsubscribe_secret}
        if self.email_sender == "notify":
            fields["NOTIFY_API_KEY"] = self.notify_api_key or ""
        return fields
