"""Requests and matches: accept, decline with a reason, withdraw, end."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import ApiError, attempt
from web_service.dates import format_date, parse_date_parts
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, text
from web_service.redirects import act_then_redirect
from web_service.rendering import FormPage, not_found, render

router = APIRouter()

STATUS_TAGS = {
    "requested": ("Waiting for an answer", "govuk-tag--yellow"),
    "accepted": ("Active", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--red"),
    "withdrawn": ("Withdrawn", "govuk-tag--grey"),
    "expired": ("Expired", "govuk-tag--grey"),
    "ended": ("Ended", "govuk-tag--grey"),
}
DECLINE_REASON_MAX = 500
DECLINE = FormPage("decline.html", "Decline this request")
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


@router.get("/requests/{match_id}/decline")
async def decline_form(request: Request, match_id: str, session: MemberSession) -> Response:
    """Decline, with an optional reason the requester sees, and optionally pause."""
    return DECLINE.show(request, match_id=match_id, pause={})


@router.post("/requests/{match_id}/decline")
async def decline(
    request: Request,
    match_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send the decline and its reason; with a date, pause new requests until then
    (``PUT /v1/profiles/me``) and, when asked, decline every other waiting request
    with the same message (``POST /v1/matches/decline-open``)."""
    reason = text(form, "reason")
    pause = {part: text(form, f"paused_until-{part}") for part in ("day", "month", "year")}
    decline_all = text(form, "decline_all") == "yes"
    errors = FormErrors()
    errors.check_text("reason", reason, limit=DECLINE_REASON_MAX, what="The reason")
    paused_until, problem = parse_date_parts(pause)
    if problem:
        errors.add("paused_until", problem)
    elif decline_all and paused_until is None:
        errors.add("paused_until", "Enter the date to pause new requests until")
    if not errors and paused_until is not None:
        paused = await attempt(
            backend.call(
                "profile",
                "PUT",
                "/v1/profiles/me",
                session=session,
                json={"paused_until": paused_until},
            ),
            422,
        )
        if isinstance(paused, ApiError):
            errors.add("paused_until", _pause_problem(paused))
    if errors:
        return DECLINE.show(
            request, errors, match_id=match_id, reason=reason, pause=pause, decline_all=decline_all
        )

    async def send_declines() -> None:
        await backend.call(
            "matching",
            "POST",
            f"/v1/matches/{match_id}/decline",
            session=session,
            json={"reason": reason or None},
        )
        if decline_all:
            await backend.call(
                "matching",
                "POST",
                "/v1/matches/decline-open",
                session=session,
                json={"message": reason or None},
            )

    paused_text = (
        f"New requests are paused until {format_date(paused_until)}."
        if paused_until is not None
        else ""
    )
    return await act_then_redirect(
        session,
        send_declines(),
        back="/requests",
        done=("The request has been declined", paused_text),
    )


def _pause_problem(error: ApiError) -> str:
    """The profile service's reason for refusing a pause date, in the form's words."""
    details = error.details if isinstance(error.details, list) else []
    for detail in details:
        # Request validation lists ``loc``/``msg``; domain checks ``field``/``message``.
        if isinstance(detail, dict) and "paused_until" in str(
            detail.get("loc") or detail.get("field")
        ):
            message = str(detail.get("msg") or detail.get("message") or "")
            return message.removeprefix("Value error, ") or "Enter a valid date"
    return "Enter a date from today up to 6 months ahead"


# Registered after the decline routes: "/requests/{id}/{action}" would otherwise take
# the decline form's POST (and answer 404, as "decline" is not one of its actions).
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
        return not_found(request)
    return await act_then_redirect(
        session,
        backend.call("matching", "POST", f"/v1/matches/{match_id}/{action}", session=session),
        back="/requests",
        done=(ACTIONS[action], ""),
    )
