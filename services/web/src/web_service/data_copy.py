""" "Download your data": each service's export (``GET /v1/me/export`` on profile,
``GET /v1/me/export/<service>`` on the others) gathered into one ZIP.

The web app asks the four services itself, with the person's token, so no service
calls another. A service that fails, or does not serve the export, is named in the
summary as unavailable and the rest of the download still works.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import structlog

from mentor_shared.clock import utc_now
from web_service.backend import ApiError, Backend, Service, ServiceUnavailable
from web_service.sessions import WebSession

log = structlog.get_logger(__name__)

EXPORT_PATH = "/v1/me/export"
"""Profile's export; every other service's is ``EXPORT_PATH/<service>``, so that each
path belongs to one service at the single API origin (docs/operations.md)."""


def export_path(service: Service) -> str:
    """The path of ``service``'s export of the caller's data."""
    return EXPORT_PATH if service == "profile" else f"{EXPORT_PATH}/{service}"


@dataclass(frozen=True)
class Part:
    """What one service holds, as the summary describes it."""

    service: Service
    title: str
    holds: str


PARTS = (
    Part(
        "profile",
        "Your account and profile",
        "Your account, profile, contact details and who they are shared with.",
    ),
    Part(
        "matching",
        "Your mentoring requests and matches",
        "Requests you sent and received, their answers, and the mentoring that followed.",
    ),
    Part(
        "messaging",
        "Your conversations and sessions",
        "Your conversations, the messages in them and the sessions you arranged.",
    ),
    Part(
        "notifications",
        "Your notifications and settings",
        "Notifications and emails sent to you, and how you chose to receive them.",
    ),
)


@dataclass(frozen=True)
class Fetched:
    """One service's export, or why it is missing."""

    part: Part
    data: Any = None
    problem: str | None = None

    @property
    def file_name(self) -> str:
        """The JSON file's name in the ZIP."""
        return f"{self.part.service}.json"


async def fetch_all(backend: Backend, session: WebSession) -> list[Fetched]:
    """Every service's export for the session, asked concurrently."""

    async def one(part: Part) -> Fetched:
        try:
            data = await backend.json(
                part.service, "GET", export_path(part.service), session=session
            )
        except ServiceUnavailable:
            return Fetched(part, problem="The service did not answer. Try again later.")
        except ApiError as error:
            log.info("data_copy_refused", service=part.service, status=error.status)
            problem = (
                "This part cannot be downloaded yet."
                if error.status in (404, 405)
                else "The service refused. Try again later."
            )
            return Fetched(part, problem=problem)
        return Fetched(part, data=data)

    return list(await asyncio.gather(*(one(part) for part in PARTS)))


def build_zip(fetched: list[Fetched], summary_html: str) -> bytes:
    """The ZIP: ``summary.html`` and a JSON file per service that answered."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.html", summary_html)
        for item in fetched:
            if item.problem is None:
                archive.writestr(
                    item.file_name, json.dumps(item.data, indent=2, ensure_ascii=False)
                )
    return buffer.getvalue()


def generated_at() -> str:
    """Now, for the summary (UTC, ISO 8601)."""
    return utc_now().replace(microsecond=0).isoformat()
