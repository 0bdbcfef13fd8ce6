"""The signed-in person's own profile: view, edit, and prefill from a LinkedIn export."""

from __future__ import annotations

import time
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from web_service.backend import ApiError, Backend, ServiceUnavailable, attempt
from web_service.dates import date_parts, parse_date_parts
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, errors_from_api, text, texts
from web_service.pages.people import running_pause
from web_service.redirects import redirect
from web_service.reference import names_of, reference_lists
from web_service.rendering import FormPage, render
from web_service.sessions import WebSession

log = structlog.get_logger(__name__)
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
    "paused_until": "paused_until",
    "expertise": "expertise",
    "expertise_text": "expertise_text",
    "goals": "goals",
    "goals_text": "goals_text",
    "experience_text": "experience_text",
    "anonymous": "anonymous",
    "contact": "contact_email",
    "contact.email": "contact_email",
    "contact.phone": "contact_phone",
    "skills_offered": "skills_offered",
    "skills_sought": "skills_sought",
}
# The two sides of the skill tags: the matching service's side name for each.
SKILL_SIDES = {"skills_offered": "offered", "skills_sought": "sought"}
# Matching's limit on the text sent for suggestions.
SUGGEST_MAX_CHARS = 6000
# How long the skills vocabulary (names for the ids) is kept.
VOCABULARY_TTL_S = 600.0
ROLE_NAMES = {"mentor": "Mentor", "mentee": "Mentee", "coach": "Coach"}
PROFILE_FORM = FormPage("profile_edit.html", "Edit your profile", {"role_names": ROLE_NAMES})
LINKEDIN_FORM = FormPage("linkedin_import.html", "Fill in your profile from LinkedIn")

# The profile service's own limits for a LinkedIn upload (the ZIP or its three CSV files).
LINKEDIN_MAX_BYTES = 20 * 1024 * 1024
LINKEDIN_MAX_FILES = 3
# What a LinkedIn import can fill in, named as the profile form names it.
PREFILLED_FIELDS = {
    "display_name": "Name",
    "job_title": "Job title",
    "experience_text": "Your experience",
    "expertise": "Your areas of expertise",
}


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
    """The profile form, filled in with what is stored, and the skills we think it names."""
    me = await backend.json("profile", "GET", "/v1/profiles/me", session=session)
    values = _values_from_profile(me)
    skills = await _skill_choices(request, backend, session, values, suggest=True)
    return await _render_form(request, values, skills=skills)


@router.post("/profile/edit")
async def edit_profile(
    request: Request, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Save the profile; the service's validation errors come back as an error summary.

    The "Suggest skills from my text" button (``action=suggest``) saves nothing: it shows
    the form again as typed, with fresh skill suggestions for the typed text.
    """
    values = _values_from_form(form)
    if text(form, "action") == "suggest":
        if not values["skills_section"]:
            # The form was shown without skills: start from the confirmed ones.
            me = await backend.json("profile", "GET", "/v1/profiles/me", session=session)
            stored = _values_from_profile(me)
            for field in SKILL_SIDES:
                values[field] = stored[field]
                values[f"{field}_shown"] = None
        skills = await _skill_choices(request, backend, session, values, suggest=True)
        return await _render_form(request, values, skills=skills)
    errors = FormErrors()
    update = _update_from_values(values, errors)
    if not errors:
        saved = await attempt(
            backend.call("profile", "PUT", "/v1/profiles/me", session=session, json=update), 422
        )
        if not isinstance(saved, ApiError):
            session.add_flash("Your profile has been saved", "")
            return redirect("/profile")
        errors = errors_from_api(saved, FIELDS, "display_name")
    skills = None
    if values["skills_section"]:
        skills = await _skill_choices(request, backend, session, values, suggest=False)
    return await _render_form(request, values, errors, skills=skills)


async def _render_form(
    request: Request,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    *,
    skills: dict[str, list[dict[str, Any]]] | None,
) -> Response:
    lists = await reference_lists(request)
    return PROFILE_FORM.show(request, errors, values=values, lists=lists, skills=skills)


def _skill_text(values: dict[str, Any], field: str) -> str:
    """The person's own words for one side: what matching tags that side from."""
    if field == "skills_offered":
        parts = [values["expertise"], values["expertise_text"], values["experience_text"]]
    else:
        parts = [values["goals"], values["goals_text"]]
    return "\n".join(str(part) for part in parts if part)[:SUGGEST_MAX_CHARS].strip()


async def _skill_names(request: Request, backend: Backend, session: WebSession) -> dict[str, str]:
    """Skill id -> name from matching's vocabulary (cached for ten minutes)."""
    state = request.app.state
    cached: tuple[float, dict[str, str]] | None = getattr(state, "skills_cache", None)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    vocabulary = await backend.json("matching", "GET", "/v1/skills", session=session)
    names = {str(skill["id"]): str(skill["name"]) for skill in vocabulary["skills"]}
    state.skills_cache = (time.monotonic() + VOCABULARY_TTL_S, names)
    return names


async def _skill_choices(
    request: Request,
    backend: Backend,
    session: WebSession,
    values: dict[str, Any],
    *,
    suggest: bool,
) -> dict[str, list[dict[str, Any]]] | None:
    """The skill checkboxes of both sides, or None when matching cannot be reached.

    With ``suggest``, matching suggests skills for the text. When the form was not shown
    before (stored profile), the person's confirmed skills are ticked, or the suggestions
    if they confirmed none. When it was, what they ticked stays ticked, what they unticked
    stays unticked, and only skills suggested for the first time are ticked.
    """
    try:
        names = await _skill_names(request, backend, session)
        choices: dict[str, list[dict[str, Any]]] = {}
        for field, side in SKILL_SIDES.items():
            ticked = [skill for skill in values[field] if skill in names]
            shown: list[str] | None = values[f"{field}_shown"]
            fresh: list[str] = []
            words = _skill_text(values, field)
            if suggest and words:
                found = await backend.json(
                    "matching",
                    "POST",
                    "/v1/skills/suggest",
                    session=session,
                    json={"text": words, "side": side},
                )
                fresh = [str(skill["id"]) for skill in found if str(skill["id"]) in names]
            if shown is None:
                checked = set(ticked or fresh)
                ids = ticked + fresh
            elif suggest:
                checked = set(ticked) | (set(fresh) - set(shown))
                ids = ticked + fresh
            else:
                checked = set(ticked)
                ids = ticked + shown
            choices[field] = [
                {"id": skill, "name": names[skill], "checked": skill in checked}
                for skill in dict.fromkeys(ids)
                if skill in names
            ]
    except ServiceUnavailable:
        log.warning("skill_suggestions_unavailable")
        return None
    return choices


def _values_from_profile(me: dict[str, Any]) -> dict[str, Any]:
    contact = me.get("contact") or {}
    return {
        **{key: me.get(key) for key in FIELDS if key not in ("contact", "paused_until")},
        # A pause that has ended is not offered again (the service refuses past dates).
        "paused_until": date_parts(running_pause(me.get("paused_until"))),
        "roles": [role for role, on in (me.get("roles") or {}).items() if on],
        "expertise": "\n".join(me.get("expertise") or []),
        "goals": "\n".join(me.get("goals") or []),
        "capacity": str(me.get("capacity", 0)),
        "remote_ok": "yes" if me.get("remote_ok", True) else "no",
        "accepting_requests": "yes" if me.get("accepting_requests", True) else "no",
        "anonymous": bool(me.get("anonymous")),
        "contact_email": contact.get("email") or "",
        "contact_phone": contact.get("phone") or "",
        "skills_offered": [str(skill) for skill in me.get("skills_offered") or []],
        "skills_sought": [str(skill) for skill in me.get("skills_sought") or []],
        # None: the skill checkboxes have not been shown yet.
        "skills_offered_shown": None,
        "skills_sought_shown": None,
        "skills_section": True,
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
        "paused_until": {
            part: text(form, f"paused_until-{part}") for part in ("day", "month", "year")
        },
        "expertise": text(form, "expertise"),
        "expertise_text": text(form, "expertise_text"),
        "goals": text(form, "goals"),
        "goals_text": text(form, "goals_text"),
        "experience_text": text(form, "experience_text"),
        "anonymous": text(form, "anonymous") == "yes",
        "contact_email": text(form, "contact_email"),
        "contact_phone": text(form, "contact_phone"),
        "skills_offered": texts(form, "skills_offered"),
        "skills_sought": texts(form, "skills_sought"),
        "skills_offered_shown": texts(form, "skills_offered_shown"),
        "skills_sought_shown": texts(form, "skills_sought_shown"),
        # The form held the skill checkboxes (matching answered when it was shown).
        "skills_section": text(form, "skills_section") == "yes",
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
    paused_until, problem = parse_date_parts(values["paused_until"])
    if problem:
        errors.add("paused_until", problem)
    update: dict[str, Any] = {
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
        "paused_until": paused_until,
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
    if values["skills_section"]:
        # Without the checkboxes (matching was unavailable) the confirmed skills stay.
        update["skills_offered"] = values["skills_offered"]
        update["skills_sought"] = values["skills_sought"]
    return update


@router.get("/profile/import-linkedin")
async def linkedin_form(request: Request, session: MemberSession) -> Response:
    """Upload the LinkedIn data export to fill in the profile."""
    return LINKEDIN_FORM.show(request)


@router.post("/profile/import-linkedin")
async def linkedin_import(
    request: Request, form: CheckedForm, session: MemberSession, backend: BackendDep
) -> Response:
    """Send the export to the profile service, then to the form to check what it filled in."""
    uploads = [u for u in form.getlist("files") if isinstance(u, UploadFile) and u.filename]
    errors = FormErrors()
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    if not uploads:
        errors.add(
            "files",
            "Select the ZIP file from LinkedIn, or its Profile, Positions or Skills CSV files",
        )
    elif len(uploads) > LINKEDIN_MAX_FILES:
        errors.add("files", "Select the ZIP file, or up to 3 CSV files")
    else:
        total = 0
        for upload in uploads:
            content = await upload.read(LINKEDIN_MAX_BYTES + 1 - total)
            total += len(content)
            if total > LINKEDIN_MAX_BYTES:
                errors.add("files", "The selected files must be smaller than 20 MB together")
                break
            if not content:
                errors.add("files", f"The selected file {upload.filename} is empty")
                break
            content_type = upload.content_type or "application/octet-stream"
            files.append(("files", (upload.filename or "upload", content, content_type)))
    if not errors:
        result = await attempt(
            backend.json(
                "profile",
                "POST",
                "/v1/profiles/me/import/linkedin",
                session=session,
                params={"confirm": "true"},
                files=files,
            ),
            413,
            422,
        )
        if not isinstance(result, ApiError):
            title, summary, kind = _prefilled(result)
            session.add_flash(title, summary, kind)
            return redirect("/profile/edit")
        if result.status == 413:
            errors.add("files", "The selected files must be smaller than 20 MB together")
        else:
            message = result.message or "This is not a LinkedIn data export"
            errors.add("files", message.rstrip("."))
    return LINKEDIN_FORM.show(request, errors)


def _prefilled(result: dict[str, Any]) -> tuple[str, str, str]:
    """Banner title, text and kind saying which fields the import filled in."""
    filled = []
    order = list(PREFILLED_FIELDS)
    changes = sorted(
        result.get("changes", []),
        key=lambda change: order.index(change["field"]) if change["field"] in order else 99,
    )
    for change in changes:
        name = PREFILLED_FIELDS.get(str(change.get("field")), str(change.get("field")))
        if change.get("field") == "expertise":
            added = len(change.get("proposed") or []) - len(change.get("current") or [])
            name = f"{name} ({added} added)"
        filled.append(name)
    notes = " ".join(str(note) for note in result.get("notes", []))
    if not filled:
        text = "Your profile already has everything your LinkedIn export holds."
        return "Nothing new to fill in", f"{text} {notes}".strip(), "info"
    text = (
        f"Filled in: {', '.join(filled)}. Check them below and change anything that is not right."
    )
    return "Your profile has been filled in from LinkedIn", f"{text} {notes}".strip(), "success"
