"""The shortlist: "Save for later" on suggestion cards and person pages, and the Saved page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import text
from web_service.redirects import act_then_redirect, next_path, redirect
from web_service.reference import names_of, reference_lists
from web_service.rendering import render

router = APIRouter()


@router.get("/saved")
async def saved(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """The people the member saved for later; those no longer taking requests say so."""
    items: list[dict[str, Any]] = await backend.json(
        "matching", "GET", "/v1/shortlist", session=session
    )
    lists = await reference_lists(request)
    return render(request, "saved.html", title="Saved people", items=items, names=names_of(lists))


@router.post("/people/{profile_id}/save")
async def save(
    profile_id: str, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Save someone for later, then go back to the page the form was on."""
    back = next_path(text(form, "next"), "/saved")
    return await act_then_redirect(
        session,
        backend.call("matching", "PUT", f"/v1/shortlist/{profile_id}", session=session),
        back=back,
        done=("Saved for later", "You can find them on your Saved page."),
        refused="That could not be saved",
        refusals=(404, 409, 422),
    )


@router.post("/saved/{profile_id}/remove")
async def remove(
    profile_id: str, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Take someone off the Saved list."""
    # Already off the list (404) is as good as removed.
    await attempt(
        backend.call("matching", "DELETE", f"/v1/shortlist/{profile_id}", session=session), 404
    )
    session.add_flash("Removed from your saved people", "")
    return redirect("/saved")
