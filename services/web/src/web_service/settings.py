"""Settings of the web frontend, read from environment variables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field

from mentor_shared.settings import ServiceSettings

# services/web/node_modules, where `npm ci --prefix services/web` puts govuk-frontend.
_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"


class WebSettings(ServiceSettings):
    """The web app's settings; the service URLs are the services' public HTTP APIs."""

    service_name: str = "web"
    port: int = Field(default=8000, validation_alias=AliasChoices("WEB_PORT", "PORT"))

    internal_port: int | None = Field(
        default=None,
        validation_alias=AliasChoices("WEB_INTERNAL_PORT"),
        description="Port of the detailed /readyz and /metrics (off when unset)",
    )
    internal_host: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("WEB_INTERNAL_HOST"),
        description="Address the internal port listens on (never the public one)",
    )

    matching_url: str = "http://127.0.0.1:8002"
    messaging_url: str = "http://127.0.0.1:8003"
    notifications_url: str = "http://127.0.0.1:8004"

    backend_timeout_s: float = Field(default=10.0, description="Per call to a service")
    backend_connect_timeout_s: float = 3.0
    session_idle_s: int = Field(default=2 * 3600, description="A session ends after this idle")
    session_max_s: int = Field(default=12 * 3600, description="...and at the latest after this")
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (set when served over TLS)"
    )
    support_email: str = Field(
        default="mentor-match@cabinetoffice.gov.uk",
        description="Where people ask for their email domain to be added",
    )
    feedback_url: str | None = Field(
        default=None,
        description="The phase banner's feedback link (a survey); mailto SUPPORT_EMAIL when unset",
    )
    content_dir: Path | None = Field(
        default=None,
        description="A folder whose accessibility.html, privacy.html or cookies.html "
        "replace the packaged ones (Jinja, extending base.html)",
    )
    organisation_name: str = Field(
        default="Cabinet Office", description="The data controller, named in the privacy notice"
    )
    dpo_email: str = Field(
        default="dpo@cabinetoffice.gov.uk", description="The data protection officer's address"
    )
    accessibility_compliance: Literal["full", "partial", "not"] = Field(
        default="partial", description="WCAG 2.2 AA compliance status in the statement"
    )
    accessibility_tested_on: date = Field(
        default=date(2026, 11, 30), description="When the service was last tested"
    )
    accessibility_prepared_on: date = Field(
        default=date(2026, 12, 2), description="When the statement was prepared"
    )
    accessibility_reviewed_on: date = Field(
        default=date(2026, 12, 2), description="When the statement was last reviewed"
    )
    node_modules_dir: Path = Field(
        default=_NODE_MODULES, description="Where npm installed govuk-frontend"
    )

    @property
    def govuk_frontend_dir(self) -> Path:
        """The built GOV.UK Frontend files (CSS, JS, fonts, images)."""
        return self.node_modules_dir / "govuk-frontend" / "dist" / "govuk"

    @property
    def feedback_link(self) -> str:
        """Where the phase banner's feedback link goes."""
        return self.feedback_url or f"mailto:{self.support_email}?subject=Mentor%20Match%20feedback"

    def service_url(self, service: str) -> str:
        """Base URL of one service's HTTP API."""
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")
