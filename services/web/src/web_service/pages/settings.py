"""Notifications, notification preferences, and the account: export and deletion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from web_service import data_copy
from web_service.backend import ApiError, attempt
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, raw_text, text
from web_service.redirects import redirect
from web_service.rendering import FormPage, render, templates

router = APIRouter()

# The kinds a person may switch; emails they ask for (verification, reset, claim) always go.
KIND_NAMES = {
    "request_received": "New mentoring requests",
    "request_answered": "Answers to your requests",
    "reminder": "Reminders about requests waiting for you",
    "message": "New messages",
    "session": "Sessions proposed, confirmed or cancelled",
    "match_ended": "Mentoring that has ended",
}
CHANNEL_NAMES = {"email": "Email and on the site", "in_app": "Only on the site", "off": "Off"}
DELETE_ACCOUNT = FormPage("account_delete.html", "Delete your account")


@router.get("/notifications")
async def notifications(
    request: Request,
    session: MemberSession,
    backend: BackendDep,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """The person's notifications, newest first."""
    params = {"limit": 20, **({"cursor": cursor} if cursor else {})}
    page = await backend.json(
        "notifications", "GET", "/v1/notifications", session=session, params=params
    )
    return render(
        request,
        "notifications.html",
        title="Notifications",
        items=page.get("items", []),
        unread=page.get("unread_count", 0),
        next_href=f"/notifications?cursor={page['next_cursor']}"
        if page.get("next_cursor")
        else None,
        newest_href="/notifications" if cursor else None,
    )


@router.post("/notifications/{notification_id}/read")
async def mark_read(
    notification_id: str, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Mark one notification read."""
    await attempt(
        backend.call(
            "notifications", "POST", f"/v1/notifications/{notification_id}/read", session=session
        ),
        404,
    )
    return redirect("/notifications")


@router.get("/preferences")
async def preferences_form(
    request: Request, session: MemberSession, backend: BackendDep
) -> Response:
    """How each kind of notification reaches the person."""
    found = await backend.json("notifications", "GET", "/v1/preferences", session=session)
    return render(
        request,
        "preferences.html",
        title="Notification settings",
        channels=found.get("channels", {}),
        daily_digest=found.get("daily_digest", False),
        kind_names=KIND_NAMES,
        channel_names=CHANNEL_NAMES,
    )


@router.post("/preferences")
async def save_preferences(
    form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Save the channels and the daily digest choice."""
    channels = {kind: text(form, kind) for kind in KIND_NAMES if text(form, kind) in CHANNEL_NAMES}
    await backend.call(
        "notifications",
        "PUT",
        "/v1/preferences",
        session=session,
        json={"channels": channels, "daily_digest": text(form, "daily_digest") == "yes"},
    )
    session.add_flash("Your notification settings have been saved", "")
    return redirect("/preferences")


@router.get("/account")
async def account(request: Request, session: MemberSession) -> Response:
    """Download your data, delete your account."""
    return render(request, "account.html", title="Your data and account")


@router.get("/account/export")
async def export(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """Everything the four services hold about the person: one ZIP with a summary page."""
    fetched = await data_copy.fetch_all(backend, session)
    summary = templates.get_template("data_copy_summary.html").render(
        fetched=fetched,
        generated_at=data_copy.generated_at(),
        support_email=request.app.state.settings.support_email,
    )
    return Response(
        data_copy.build_zip(fetched, summary),
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="mentor-match-my-data.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/account/delete")
async def delete_form(request: Request, session: MemberSession) -> Response:
    """Confirm deletion with the account's password."""
    return DELETE_ACCOUNT.show(request)


@router.post("/account/delete")
async def delete(
    request: Request, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Erase the account in every service, then sign out."""
    password = raw_text(form, "password")
    errors = FormErrors()
    if not password:
        errors.add("password", "Enter your password")
    else:
        try:
            await backend.call(
                "profile", "DELETE", "/v1/profiles/me", session=session, json={"password": password}
            )
        except ApiError as error:
            if error.status == 403 and error.code == "password_incorrect":
                errors.add("password", "Your password is not right")
            elif error.status == 422:
                errors.add("password", "Enter your password")
            else:
                raise
    if errors:
        return DELETE_ACCOUNT.show(request, errors)
    session.sign_out()
    session.add_flash(
        "Your account has been deleted",
        "Your profile, messages and notifications are being removed from every part of Mentor Match.",
    )
    return redirect("/")
