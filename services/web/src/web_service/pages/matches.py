"""Requests and matches: accept, decline with a reason, withdraw, end."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import ApiError
from web_service.ui import (
    BackendDep,
    CheckedForm,
    FormErrors,
    MemberSession,
    redirect,
    render,
    text,
)

router = APIRouter()

STATUS_TAGS = {
    "requested": ("Waiting for an answer", "govuk-tag--yellow"),
    "accepted": ("Active", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--red"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
    "expired": ("Expired", "govuk-tag--grey"),
    "ended": ("Ended", "govuk-tag--grey"),
}
ACTIONS = {
    "accept": "The request has been accepted",
    "withdraw": "Your request has been withdrawn",
    "end": "The mentoring has ended",
}


@router.get("/requests")
async def requests_page(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """Requests sent, requests received, and matches, with what can be done to each."""
    matches = await backend.matches(session)
    me = session.data.account_id
    names: dict[str, str] = {}
    for m in matches:
        other = str(m.get("mentor_id") if m.get("mentee_id") == me else m.get("mentee_id"))
        card = m.get("other") or {}
        # The match's card names the person even when they appear anonymised elsewhere:
        # sending the request revealed them to the mentor.
        if card.get("display_name"):
            names[other] = str(card["display_name"])
        else:
            names.setdefault(other, "")
    missing = {other for other, name in names.items() if not name}
    names.update(await backend.display_names(session, missing))
    received = [m for m in matches if m.get("mentor_id") == me and m.get("status") == "requested"]
    sent = [m for m in matches if m.get("mentee_id") == me and m.get("status") == "requested"]
    active = [m for m in matches if m.get("status") == "accepted"]
    past = [m for m in matches if m.get("status") not in ("requested", "accepted")]
    return render(
        request,
        "requests.html",
        title="Requests and matches",
        received=received,
        sent=sent,
        active=active,
        past=past,
        names=names,
        me=me,
        tags=STATUS_TAGS,
    )


@router.post("/requests/{match_id}/{action}")
async def act(
    match_id: str,
    action: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
    request: Request,
) -> Response:
    """Accept, withdraw or end (decline has its own page for the reason)."""
    if action not in ACTIONS:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Page not found",
            message="If you typed the web address, check it is correct.",
        )
    try:
        await backend.call("matching", "POST", f"/v1/matches/{match_id}/{action}", session=session)
    except ApiError as error:
        if error.status not in (403, 404, 409, 422):
            raise
        session.add_flash("That could not be done", error.message, "info")
        return redirect("/requests")
    session.add_flash(ACTIONS[action], "")
    return redirect("/requests")


@router.get("/requests/{match_id}/decline")
async def decline_form(request: Request, match_id: str, session: MemberSession) -> Response:
    """Decline, with an optional reason the requester sees."""
    return render(request, "decline.html", title="Decline this request", match_id=match_id)


@router.post("/requests/{match_id}/decline")
async def decline(
    request: Request,
    match_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send the decline and its reason."""
    reason = text(form, "reason")
    if len(reason) > 500:
        errors = FormErrors()
        errors.add("reason", "The reason must be 500 characters or fewer")
        return render(
            request,
            "decline.html",
            status_code=422,
            title="Decline this request",
            match_id=match_id,
            reason=reason,
            errors=errors,
        )
    try:
        await backend.call(
            "matching",
            "POST",
            f"/v1/matches/{match_id}/decline",
            session=session,
            json={"reason": reason or None},
        )
    except ApiError as error:
        if error.status not in (403, 404, 409, 422):
            raise
        session.add_flash("That could not be done", error.message, "info")
        return redirect("/requests")
    session.add_flash("The request has been declined", "")
    return redirect("/requests")
