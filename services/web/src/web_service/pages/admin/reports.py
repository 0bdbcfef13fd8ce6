"""Messages members reported, for the administrators to look at."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.deps import AdminSession, BackendDep
from web_service.rendering import render

router = APIRouter()

REPORTS_SHOWN = 100


@router.get("/reports")
async def reports(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Reported messages, newest first: the message, the reason and who reported it."""
    found = await backend.json(
        "messaging", "GET", "/v1/admin/reports", session=session, params={"limit": REPORTS_SHOWN}
    )
    items = [item for item in found.get("items", []) if isinstance(item, dict)]
    reporters = await backend.display_names(
        session, {str(item["reporter_id"]) for item in items if item.get("reporter_id")}
    )
    return render(
        request,
        "admin/reports.html",
        title="Reported messages",
        items=items,
        reporters=reporters,
        limit=REPORTS_SHOWN,
    )
