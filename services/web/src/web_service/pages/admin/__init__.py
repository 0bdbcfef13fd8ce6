"""Administration, one module for each thing administrators manage: allowed email
domains, coach imports, usage figures, cohort matching, reported messages, and
departments' webhook subscriptions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.deps import AdminSession
from web_service.pages.admin import cohorts, domains, imports, reports, subscriptions, usage
from web_service.pages.admin.imports import MAX_CSV_BYTES
from web_service.rendering import render

__all__ = ["MAX_CSV_BYTES", "router"]

router = APIRouter(prefix="/admin")


@router.get("")
async def admin_home(request: Request, session: AdminSession) -> Response:
    """What administrators can do."""
    return render(request, "admin/index.html", title="Administration")


for part in (domains, imports, usage, cohorts, reports, subscriptions):
    router.include_router(part.router)
