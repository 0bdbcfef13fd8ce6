"""The pages the law and the GOV.UK Service Manual ask for: accessibility, privacy, cookies.

Their text lives in content files (``templates/content/*.html``, Jinja extending
``base.html``). An operator replaces any of them with a file of the same name in
``CONTENT_DIR``; the facts that differ per deployment (controller, data protection
officer, compliance status and dates) come from settings either way.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from jinja2 import Template

from web_service.rendering import render, templates
from web_service.sessions import COOKIE_NAME
from web_service.settings import WebSettings

router = APIRouter()


def content_template(settings: WebSettings, name: str) -> Template | str:
    """The operator's copy of a content file when there is one, else the packaged one."""
    if settings.content_dir is not None:
        override = settings.content_dir / name
        if override.is_file():
            return templates.env.from_string(override.read_text(encoding="utf-8"))
    return f"content/{name}"


def legal_facts(settings: WebSettings) -> dict[str, Any]:
    """What the content files show that differs per deployment."""
    return {
        "organisation_name": settings.organisation_name,
        "dpo_email": settings.dpo_email,
        "compliance": settings.accessibility_compliance,
        "tested_on": settings.accessibility_tested_on.isoformat(),
        "prepared_on": settings.accessibility_prepared_on.isoformat(),
        "reviewed_on": settings.accessibility_reviewed_on.isoformat(),
        "cookie_name": COOKIE_NAME,
        "session_idle_hours": _hours(settings.session_idle_s),
        "session_max_hours": _hours(settings.session_max_s),
    }


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:g}"


def _page(request: Request, name: str, title: str) -> Response:
    settings: WebSettings = request.app.state.settings
    return render(
        request, content_template(settings, name), title=title, legal=legal_facts(settings)
    )


@router.get("/accessibility")
async def accessibility(request: Request) -> Response:
    """The accessibility statement (every section of the GOV.UK sample statement)."""
    return _page(request, "accessibility.html", "Accessibility statement")


@router.get("/privacy")
async def privacy(request: Request) -> Response:
    """The privacy notice (UK GDPR Article 13)."""
    return _page(request, "privacy.html", "Privacy notice")


@router.get("/cookies")
async def cookies(request: Request) -> Response:
    """What cookies the service sets (one, essential)."""
    return _page(request, "cookies.html", "Cookies")
