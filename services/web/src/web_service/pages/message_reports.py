"""Reporting a message of the other person in a conversation to the administrators."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from web_service.backend import ApiError, Backend, attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, errors_from_api, text
from web_service.pages.conversations import NOT_YOURS, conversation_of, message_page
from web_service.redirects import redirect
from web_service.rendering import FormPage, not_found, render
from web_service.sessions import WebSession

router = APIRouter()

REPORT_REASON_MAX = 1000
CANNOT_REPORT = "This message does not exist or you cannot report it."
REPORT = FormPage("report.html", "Report a message", {"reason_max": REPORT_REASON_MAX})


async def _reportable(
    backend: Backend,
    session: WebSession,
    conversation_id: str,
    message_id: str,
    cursor: str | None,
    *,
    missing: str,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The person's conversation and a message of the other person in it.

    The message is looked for on the page of messages it was shown on (``cursor``)
    rather than by paging through the whole conversation; it is None when it is not
    there, is the person's own, or was erased.

    Raises:
        NotFound: The conversation is not the person's (``missing`` says so).
    """
    about = await conversation_of(backend, session, conversation_id, missing=missing)
    page = await message_page(backend, session, conversation_id, cursor)
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
    about, message = await _reportable(
        backend, session, conversation_id, message_id, cursor, missing=CANNOT_REPORT
    )
    if message is None:
        return not_found(request, CANNOT_REPORT)
    return REPORT.show(
        request, about=about, message=message, message_id=message_id, cursor=cursor or "", reason=""
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
    errors.check_text(
        "reason",
        reason,
        limit=REPORT_REASON_MAX,
        what="The reason",
        missing="Enter why you are reporting this message",
    )
    if not errors:
        sent = await attempt(
            backend.call(
                "messaging",
                "POST",
                f"/v1/conversations/{conversation_id}/messages/{message_id}/report",
                session=session,
                json={"reason": reason},
            ),
            422,
        )
        if not isinstance(sent, ApiError):
            return redirect(f"/conversations/{conversation_id}/messages/{message_id}/reported")
        errors = errors_from_api(sent, {"reason": "reason"}, "reason")
    # The message may have moved off the page it was on since: the form still works.
    about, message = await _reportable(
        backend, session, conversation_id, message_id, cursor, missing=NOT_YOURS
    )
    return REPORT.show(
        request,
        errors,
        about=about,
        message=message,
        message_id=message_id,
        cursor=cursor or "",
        reason=reason,
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
    about = await conversation_of(backend, session, conversation_id)
    return render(request, "report_sent.html", title="Message reported", about=about)
