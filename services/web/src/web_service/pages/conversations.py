"""Conversations: the list, one conversation's messages and reply form, and its live stream.

Proposing and answering sessions (:mod:`.mentoring_sessions`) and reporting a message
(:mod:`.message_reports`) happen on the conversation page too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse

from mentor_shared.errors import NotFound
from web_service.backend import (
    ApiError,
    Backend,
    ServiceUnavailable,
    SignedOut,
    attempt,
    item_with_id,
)
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, text
from web_service.redirects import redirect
from web_service.rendering import render
from web_service.sessions import WebSession

log = structlog.get_logger(__name__)

router = APIRouter()

SESSION_STATUS = {
    "proposed": ("Proposed", "govuk-tag--yellow"),
    "confirmed": ("Confirmed", "govuk-tag--green"),
    "declined": ("Declined", "govuk-tag--red"),
    "cancelled": ("Cancelled", "govuk-tag--grey"),
    "held": ("Held", "govuk-tag--blue"),
}
MESSAGES_SHOWN = 20
MESSAGE_MAX = 5000
NOT_YOURS = "This conversation does not exist or is not yours."


async def conversation_of(
    backend: Backend, session: WebSession, conversation_id: str, *, missing: str = NOT_YOURS
) -> dict[str, Any]:
    """The person's conversation with this id.

    Raises:
        NotFound: It is not theirs (``missing`` says so on the page).
    """
    found = await backend.json("messaging", "GET", "/v1/conversations", session=session)
    about = item_with_id(found.get("items", []), conversation_id)
    if about is None:
        raise NotFound(missing)
    return about


async def message_page(
    backend: Backend, session: WebSession, conversation_id: str, cursor: str | None
) -> dict[str, Any]:
    """A page of the conversation's messages, newest first (``cursor``: an older page)."""
    params: dict[str, Any] = {"limit": MESSAGES_SHOWN}
    if cursor:
        params["cursor"] = cursor
    page: dict[str, Any] = await backend.json(
        "messaging",
        "GET",
        f"/v1/conversations/{conversation_id}/messages",
        session=session,
        params=params,
    )
    return page


@router.get("/conversations")
async def conversations(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """The person's conversations, newest activity first."""
    found = await backend.json("messaging", "GET", "/v1/conversations", session=session)
    return render(request, "conversations.html", title="Messages", items=found.get("items", []))


@router.get("/conversations/{conversation_id}")
async def conversation(
    request: Request,
    conversation_id: str,
    session: MemberSession,
    backend: BackendDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Messages (newest first, paginated), the reply form and the sessions."""
    return await render_conversation(request, conversation_id, session, backend, cursor=cursor)


async def render_conversation(
    request: Request,
    conversation_id: str,
    session: WebSession,
    backend: Backend,
    *,
    cursor: str | None = None,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The conversation page; with ``errors``, those of the reply or session form."""
    about = await conversation_of(backend, session, conversation_id)
    page = await message_page(backend, session, conversation_id, cursor)
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
    errors.check_text(
        "body", body, limit=MESSAGE_MAX, what="Your message", missing="Enter a message"
    )
    if not errors:
        sent = await attempt(
            backend.call(
                "messaging",
                "POST",
                f"/v1/conversations/{conversation_id}/messages",
                session=session,
                json={"body": body},
            ),
            404,
            409,
            422,
            429,
        )
        if not isinstance(sent, ApiError):
            return redirect(f"/conversations/{conversation_id}")
        errors.add("body", _message_error(sent))
    return await render_conversation(
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
