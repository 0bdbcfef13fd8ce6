"""Mentoring sessions in a conversation: proposing one, answering it, its calendar invite."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mentor_shared.clock import utc_now
from web_service.backend import ApiError, attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, errors_from_api, text
from web_service.pages.conversations import render_conversation
from web_service.redirects import act_then_redirect, redirect

router = APIRouter()

LONDON = ZoneInfo("Europe/London")
SESSION_ACTIONS = {
    "accept": "The session is confirmed",
    "decline": "The session has been declined",
    "cancel": "The session has been cancelled",
    "held": "The session is marked as held",
}
PROPOSAL_FIELDS = (
    "starts_at-day",
    "starts_at-month",
    "starts_at-year",
    "time",
    "duration",
    "location",
    "online_link",
    "series",
)


@router.post("/conversations/{conversation_id}/sessions")
async def propose_session(
    request: Request,
    conversation_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Propose a session (date, time, length, place or link)."""
    values = {name: text(form, name) for name in PROPOSAL_FIELDS}
    errors = FormErrors()
    starts_at = _parse_start(values, errors)
    duration = 60
    try:
        duration = int(values["duration"] or "60")
    except ValueError:
        errors.add("duration", "Enter the length in minutes, like 60")
    if not values["location"] and not values["online_link"]:
        errors.add("location", "Enter a place or an online meeting link")
    if not errors and starts_at is not None:
        series = values["series"] == "yes"
        body: dict[str, Any] = {"starts_at": starts_at.isoformat()}
        if not series:
            body["duration_minutes"] = duration
        if values["location"]:
            body["location"] = values["location"]
        if values["online_link"]:
            body["online_link"] = values["online_link"]
        path = f"/v1/conversations/{conversation_id}/sessions" + ("/series" if series else "")
        proposed = await attempt(
            backend.call("messaging", "POST", path, session=session, json=body), 404, 409, 422
        )
        if not isinstance(proposed, ApiError):
            session.add_flash("Session proposed", "They will be asked to confirm it.")
            return redirect(f"/conversations/{conversation_id}#sessions")
        fields = {
            "starts_at": "starts_at-day",
            "duration_minutes": "duration",
            "location": "location",
            "online_link": "online_link",
        }
        errors = errors_from_api(proposed, fields, "starts_at-day")
    return await render_conversation(
        request,
        conversation_id,
        session,
        backend,
        errors=errors,
        values=values,
        status_code=422,
    )


def _parse_start(values: dict[str, str], errors: FormErrors) -> datetime | None:
    try:
        day = int(values["starts_at-day"])
        month = int(values["starts_at-month"])
        year = int(values["starts_at-year"])
    except ValueError:
        errors.add("starts_at-day", "Enter the date of the session, like 27 3 2026")
        return None
    try:
        hour_text, minute_text = (values["time"] or "").split(":")
        hour, minute = int(hour_text), int(minute_text)
    except ValueError:
        errors.add("time", "Enter the start time in 24-hour format, like 14:30")
        return None
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=LONDON)
    except ValueError:
        errors.add("starts_at-day", "The date must be a real date")
        return None
    if moment <= utc_now():
        errors.add("starts_at-day", "The session must be in the future")
        return None
    return moment


@router.post("/conversations/{conversation_id}/sessions/{session_id}/{action}")
async def session_action(
    conversation_id: str,
    session_id: str,
    action: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Accept, decline, cancel or mark a session as held."""
    back = f"/conversations/{conversation_id}#sessions"
    if action not in SESSION_ACTIONS:
        return redirect(back)
    return await act_then_redirect(
        session,
        backend.call(
            "messaging",
            "POST",
            f"/v1/conversations/{conversation_id}/sessions/{session_id}/{action}",
            session=session,
        ),
        back=back,
        done=(SESSION_ACTIONS[action], ""),
        refusals=(404, 409, 422),
    )


@router.get("/conversations/{conversation_id}/sessions/{session_id}.ics")
async def calendar_invite(
    conversation_id: str, session_id: str, session: MemberSession, backend: BackendDep
) -> Response:
    """The session's iCalendar invite, fetched with the server-side token."""
    response = await backend.call(
        "messaging",
        "GET",
        f"/v1/conversations/{conversation_id}/sessions/{session_id}.ics",
        session=session,
    )
    # Messaging's type names the iTIP method (PUBLISH, or CANCEL once cancelled).
    return Response(
        response.content,
        media_type=response.headers.get("content-type", "text/calendar"),
        headers={"Content-Disposition": 'attachment; filename="mentor-match-session.ics"'},
    )
