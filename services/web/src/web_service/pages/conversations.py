"""Messages and sessions: conversation list and view, a live stream proxy, calendar invites,
reporting a message to the administrators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse

from mentor_shared.clock import utc_now
from web_service.backend import ApiError, ServiceUnavailable, SignedOut
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, errors_from_api, text
from web_service.redirects import redirect
from web_service.rendering import render

log = structlog.get_logger(__name__)

router = APIRouter()

LONDON = ZoneInfo("Europe/London")
SESSION_STATUS = {
    "proposed": ("Proposed", "govuk-tag--yellow"),
    "confirmed": ("Confirmed", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--red"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
    "held": ("Held", "govuk-tag--blue"),
}
REPORT_REASON_MAX = 1000
SESSION_ACTIONS = {
    "accept": "The session is confirmed",
    "decline": "The session has been declined",
    "cancel": "The session has been cancelled",
    "held": "The session is marked as held",
}


@router.get("/conversations")
async def conversations(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """The person's conversations, newest activity first."""
    found = await backend.json("messaging", "GET", "/v1/conversations", session=session)
    return render(request, "conversations.html", title="Messages", items=found.get("items", []))


async def _conversation(
    backend: BackendDep, session: MemberSession, conversation_id: str
) -> dict[str, Any] | None:
    found = await backend.json("messaging", "GET", "/v1/conversations", session=session)
    for item in found.get("items", []):
        if item.get("id") == conversation_id:
            result: dict[str, Any] = item
            return result
    return None


@router.get("/conversations/{conversation_id}")
async def conversation(
    request: Request,
    conversation_id: str,
    session: MemberSession,
    backend: BackendDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Messages (newest first, paginated), the reply form and the sessions."""
    return await _render_conversation(request, conversation_id, session, backend, cursor=cursor)


async def _render_conversation(
    request: Request,
    conversation_id: str,
    session: MemberSession,
    backend: BackendDep,
    *,
    cursor: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    about = await _conversation(backend, session, conversation_id)
    if about is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Page not found",
            message="This conversation does not exist or is not yours.",
        )
    params: dict[str, Any] = {"limit": 20}
    if cursor:
        params["cursor"] = cursor
    page = await backend.json(
        "messaging",
        "GET",
        f"/v1/conversations/{conversation_id}/messages",
        session=session,
        params=params,
    )
    messages = page.get("items", [])
    if messages and not cursor and about.get("unread_count"):
        await backend.call(
            "messaging",
            "POST",
            f"/v1/conversations/{conversation_id}/read",
            session=session,
            json={"message_id": messages[0]["id"]},
        )
    sessions_found = await backend.json(
        "messaging", "GET", f"/v1/conversations/{conversation_id}/sessions", session=session
    )
    return render(
        request,
        "conversation.html",
        status_code=status_code,
        title=f"Messages with {about['other_participant']['display_name']}",
        about=about,
        messages=messages,
        next_href=(
            f"/conversations/{conversation_id}?cursor={page['next_cursor']}"
            if page.get("next_cursor")
            else None
        ),
        newest_href=f"/conversations/{conversation_id}" if cursor else None,
        sessions=sessions_found.get("items", []),
        session_status=SESSION_STATUS,
        me=session.data.account_id,
        cursor=cursor,
        errors=errors,
        values=values or {},
    )


@router.post("/conversations/{conversation_id}/messages")
async def send_message(
    request: Request,
    conversation_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send a message, then back to the conversation."""
    body = text(form, "body")
    errors = FormErrors()
    if not body:
        errors.add("body", "Enter a message")
    elif len(body) > 5000:
        errors.add("body", "Your message must be 5000 characters or fewer")
    if not errors:
        try:
            await backend.call(
                "messaging",
                "POST",
                f"/v1/conversations/{conversation_id}/messages",
                session=session,
                json={"body": body},
            )
        except ApiError as error:
            if error.status not in (404, 409, 422, 429):
                raise
            errors.add("body", _message_error(error))
        else:
            return redirect(f"/conversations/{conversation_id}")
    return await _render_conversation(
        request,
        conversation_id,
        session,
        backend,
        errors=errors,
        values={"body": body},
        status_code=422,
    )


def _message_error(error: ApiError) -> str:
    if error.code == "conversation_read_only":
        return "This conversation is closed, so you cannot send messages in it"
    if error.status == 429:
        return "You are sending messages too quickly. Wait a minute and try again"
    return error.message or "Your message could not be sent"


@router.get("/conversations/{conversation_id}/stream")
async def stream(
    conversation_id: str,
    session: MemberSession,
    backend: BackendDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> Response:
    """The messaging service's event stream, relayed with the server-side token.

    The browser's EventSource connects here with its session cookie, so no token
    ever reaches the page. ``Last-Event-ID`` is passed on so a reconnect replays
    what was missed.
    """
    headers = {"Accept": "text/event-stream"}
    if last_event_id and last_event_id.isdigit():
        headers["Last-Event-ID"] = last_event_id
    context = backend.stream(
        "messaging", f"/v1/conversations/{conversation_id}/stream", session=session, headers=headers
    )
    try:
        upstream = await context.__aenter__()
    except (ApiError, SignedOut, ServiceUnavailable):
        # EventSource retries on its own; a plain 204 tells it to stop.
        return Response(status_code=204)

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await context.__aexit__(None, None, None)
            log.info("conversation_stream_closed")

    return StreamingResponse(
        relay(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
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
    values = {
        name: text(form, name)
        for name in (
            "starts_at-day",
            "starts_at-month",
            "starts_at-year",
            "time",
            "duration",
            "location",
            "online_link",
            "series",
        )
    }
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
        try:
            await backend.call("messaging", "POST", path, session=session, json=body)
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            errors = errors_from_api(
                error,
                {
                    "starts_at": "starts_at-day",
                    "duration_minutes": "duration",
                    "location": "location",
                    "online_link": "online_link",
                },
                "starts_at-day",
            )
        else:
            session.add_flash("Session proposed", "They will be asked to confirm it.")
            return redirect(f"/conversations/{conversation_id}#sessions")
    return await _render_conversation(
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
    try:
        await backend.call(
            "messaging",
            "POST",
            f"/v1/conversations/{conversation_id}/sessions/{session_id}/{action}",
            session=session,
        )
    except ApiError as error:
        if error.status not in (404, 409, 422):
            raise
        session.add_flash("That could not be done", error.message, "info")
        return redirect(back)
    session.add_flash(SESSION_ACTIONS[action], "")
    return redirect(back)


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
    return Response(
        response.content,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="mentor-match-session.ics"'},
    )


def _not_found(request: Request, message: str) -> Response:
    return render(request, "error.html", status_code=404, title="Page not found", message=message)


async def _reportable(
    backend: BackendDep,
    session: MemberSession,
    conversation_id: str,
    message_id: str,
    cursor: str | None,
) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """The conversation (None if it is not the person's) and a message of the other person.

    The message is looked for on the page of messages it was shown on (``cursor``)
    rather than by paging through the whole conversation; it is None when it is not
    there, is the person's own, or was erased.
    """
    about = await _conversation(backend, session, conversation_id)
    if about is None:
        return None
    params: dict[str, Any] = {"limit": 20}
    if cursor:
        params["cursor"] = cursor
    page = await backend.json(
        "messaging",
        "GET",
        f"/v1/conversations/{conversation_id}/messages",
        session=session,
        params=params,
    )
    for message in page.get("items", []):
        mine = message.get("sender_id") == session.data.account_id
        if message.get("id") == message_id and not mine and not message.get("deleted"):
            return about, message
    return about, None


@router.get("/conversations/{conversation_id}/messages/{message_id}/report")
async def report_form(
    request: Request,
    conversation_id: str,
    message_id: str,
    session: MemberSession,
    backend: BackendDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Report a message of the other person: the message, and why."""
    found = await _reportable(backend, session, conversation_id, message_id, cursor)
    if found is None or found[1] is None:
        return _not_found(request, "This message does not exist or you cannot report it.")
    about, message = found
    return render(
        request,
        "report.html",
        title="Report a message",
        about=about,
        message=message,
        message_id=message_id,
        cursor=cursor or "",
        reason="",
        reason_max=REPORT_REASON_MAX,
    )


@router.post("/conversations/{conversation_id}/messages/{message_id}/report")
async def report_message(
    request: Request,
    conversation_id: str,
    message_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Send the report to the administrators' queue."""
    reason = text(form, "reason")
    cursor = text(form, "cursor")[:200] or None
    errors = FormErrors()
    if not reason:
        errors.add("reason", "Enter why you are reporting this message")
    elif len(reason) > REPORT_REASON_MAX:
        errors.add("reason", f"The reason must be {REPORT_REASON_MAX} characters or fewer")
    if not errors:
        try:
            await backend.call(
                "messaging",
                "POST",
                f"/v1/conversations/{conversation_id}/messages/{message_id}/report",
                session=session,
                json={"reason": reason},
            )
        except ApiError as error:
            if error.status != 422:
                raise
            errors = errors_from_api(error, {"reason": "reason"}, "reason")
        else:
            return redirect(f"/conversations/{conversation_id}/messages/{message_id}/reported")
    found = await _reportable(backend, session, conversation_id, message_id, cursor)
    if found is None:
        return _not_found(request, "This conversation does not exist or is not yours.")
    # The message may have moved off the page it was on since: the form still works.
    about, message = found
    return render(
        request,
        "report.html",
        status_code=422,
        title="Report a message",
        about=about,
        message=message,
        message_id=message_id,
        cursor=cursor or "",
        reason=reason,
        reason_max=REPORT_REASON_MAX,
        errors=errors,
    )


@router.get("/conversations/{conversation_id}/messages/{message_id}/reported")
async def report_sent(
    request: Request,
    conversation_id: str,
    message_id: str,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """What happens after a report."""
    about = await _conversation(backend, session, conversation_id)
    if about is None:
        return _not_found(request, "This conversation does not exist or is not yours.")
    return render(request, "report_sent.html", title="Message reported", about=about)
