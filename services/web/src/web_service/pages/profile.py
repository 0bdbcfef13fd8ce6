"""The signed-in person's own profile: view and edit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from web_service.backend import ApiError
from web_service.ui import (
    BackendDep,
    CheckedForm,
    FormErrors,
    MemberSession,
    errors_from_api,
    names_of,
    redirect,
    reference_lists,
    render,
    text,
    texts,
)

router = APIRouter()

# Service field -> form field id (for the error summary's links).
FIELDS = {
    "display_name": "display_name",
    "job_title": "job_title",
    "department": "department",
    "profession": "profession",
    "grade": "grade",
    "region": "region",
    "travel_regions": "travel_regions",
    "remote_ok": "remote_ok",
    "roles": "roles",
    "capacity": "capacity",
    "accepting_requests": "accepting_requests",
    "expertise": "expertise",
    "expertise_text": "expertise_text",
    "goals": "goals",
    "goals_text": "goals_text",
    "experience_text": "experience_text",
    "anonymous": "anonymous",
    "contact": "contact_email",
    "contact.email": "contact_email",
    "contact.phone": "contact_phone",
}
ROLE_NAMES = {"mentor": "Mentor", "mentee": "Mentee", "coach": "Coach"}


@router.get("/profile")
async def view_profile(request: Request, session: MemberSession, backend: BackendDep) -> Response:
    """The person's profile as a summary list, with change links."""
    me = await backend.json("profile", "GET", "/v1/profiles/me", session=session)
    lists = await reference_lists(request)
    return render(
        request,
        "profile.html",
        title="Your profile",
        me=me,
        names=names_of(lists),
        role_names=ROLE_NAMES,
    )


@router.get("/profile/edit")
async def edit_profile_form(
    request: Request, session: MemberSession, backend: BackendDep
) -> Response:
    """The profile form, filled in with what is stored."""
    me = await backend.json("profile", "GET", "/v1/profiles/me", session=session)
    return await _render_form(request, _values_from_profile(me))


@router.post("/profile/edit")
async def edit_profile(
    request: Request, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Save the profile; the service's validation errors come back as an error summary."""
    values = _values_from_form(form)
    errors = FormErrors()
    update = _update_from_values(values, errors)
    if not errors:
        try:
            await backend.call("profile", "PUT", "/v1/profiles/me", session=session, json=update)
        except ApiError as error:
            if error.status != 422:
                raise
            errors = errors_from_api(error, FIELDS, "display_name")
        else:
            session.add_flash("Your profile has been saved", "")
            return redirect("/profile")
    return await _render_form(request, values, errors, status_code=422)


async def _render_form(
    request: Request,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    *,
    status_code: int = 200,
) -> Response:
    lists = await reference_lists(request)
    return render(
        request,
        "profile_edit.html",
        status_code=status_code,
        title="Edit your profile",
        values=values,
        errors=errors,
        lists=lists,
        role_names=ROLE_NAMES,
    )


def _values_from_profile(me: dict[str, Any]) -> dict[str, Any]:
    contact = me.get("contact") or {}
    return {
        **{key: me.get(key) for key in FIELDS if key != "contact"},
        "roles": [role for role, on in (me.get("roles") or {}).items() if on],
        "expertise": "\n".join(me.get("expertise") or []),
        "goals": "\n".join(me.get("goals") or []),
        "capacity": str(me.get("capacity", 0)),
        "remote_ok": "yes" if me.get("remote_ok", True) else "no",
        "accepting_requests": "yes" if me.get("accepting_requests", True) else "no",
        "anonymous": bool(me.get("anonymous")),
        "contact_email": contact.get("email") or "",
        "contact_phone": contact.get("phone") or "",
    }


def _values_from_form(form: FormData) -> dict[str, Any]:
    return {
        "display_name": text(form, "display_name"),
        "job_title": text(form, "job_title"),
        "department": text(form, "department"),
        "profession": text(form, "profession"),
        "grade": text(form, "grade"),
        "region": text(form, "region"),
        "travel_regions": texts(form, "travel_regions"),
        "remote_ok": text(form, "remote_ok") or "yes",
        "roles": texts(form, "roles"),
        "capacity": text(form, "capacity"),
        "accepting_requests": text(form, "accepting_requests") or "yes",
        "expertise": text(form, "expertise"),
        "expertise_text": text(form, "expertise_text"),
        "goals": text(form, "goals"),
        "goals_text": text(form, "goals_text"),
        "experience_text": text(form, "experience_text"),
        "anonymous": text(form, "anonymous") == "yes",
        "contact_email": text(form, "contact_email"),
        "contact_phone": text(form, "contact_phone"),
    }


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


def _update_from_values(values: dict[str, Any], errors: FormErrors) -> dict[str, Any]:
    """The ``PUT /v1/profiles/me`` body; checks only what the form itself must."""
    if not values["display_name"]:
        errors.add("display_name", "Enter your name")
    capacity = 0
    if values["capacity"]:
        try:
            capacity = int(values["capacity"])
        except ValueError:
            errors.add("capacity", "Capacity must be a whole number, like 2")
    roles = set(values["roles"])
    return {
        "display_name": values["display_name"],
        "job_title": values["job_title"] or None,
        "department": values["department"] or None,
        "profession": values["profession"] or None,
        "grade": values["grade"] or None,
        "region": values["region"] or None,
        "travel_regions": values["travel_regions"],
        "remote_ok": values["remote_ok"] == "yes",
        "roles": {role: role in roles for role in ROLE_NAMES},
        "capacity": capacity,
        "accepting_requests": values["accepting_requests"] == "yes",
        "expertise": _lines(values["expertise"]),
        "expertise_text": values["expertise_text"],
        "goals": _lines(values["goals"]),
        "goals_text": values["goals_text"],
        "experience_text": values["experience_text"],
        "anonymous": values["anonymous"],
        "contact": {
            "email": values["contact_email"] or None,
            "phone": values["contact_phone"] or None,
        },
    }
