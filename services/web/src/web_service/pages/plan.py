"""The shared plan of an accepted match and each person's private session notes.

Plain forms: goals one per line, each action a row of fields, and one empty row to add
an action, so the page works the same with JavaScript off.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from web_service.backend import ApiError, attempt, item_with_id
from web_service.deps import BackendDep, CheckedForm, MemberSession
from web_service.forms import FormErrors, raw_text, text
from web_service.pages.conversations import NOT_YOURS, conversation_of
from web_service.redirects import redirect
from web_service.rendering import error_page, not_found, render

router = APIRouter()

OWNERS = {"mentee": "Mentee", "mentor": "Mentor", "both": "Both of you"}
MAX_GOALS = 20
MAX_GOAL_LENGTH = 300
MAX_ACTIONS = 50
MAX_ACTION_LENGTH = 500
MAX_NOTES_LENGTH = 5000


def _rows(actions: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Form rows for the saved actions, then one empty row for a new action."""
    rows = []
    for action in actions:
        due = date.fromisoformat(action["due_on"]) if action.get("due_on") else None
        rows.append(
            {
                "id": action["id"],
                "text": action["text"],
                "owner": action["owner"],
                "day": str(due.day) if due else "",
                "month": str(due.month) if due else "",
                "year": str(due.year) if due else "",
                "done": "yes" if action.get("done") else "",
                "remove": "",
            }
        )
    rows.append(
        {
            "id": "",
            "text": "",
            "owner": "both",
            "day": "",
            "month": "",
            "year": "",
            "done": "",
            "remove": "",
        }
    )
    return rows


async def _render_plan(
    request: Request,
    conversation_id: str,
    session: MemberSession,
    backend: BackendDep,
    *,
    errors: FormErrors | None = None,
    goals_text: str | None = None,
    rows: list[dict[str, str]] | None = None,
    version: int | None = None,
    status_code: int = 200,
) -> Response:
    about = await conversation_of(backend, session, conversation_id)
    other = about["other_participant"]["display_name"]
    plan = await attempt(
        backend.json(
            "messaging", "GET", f"/v1/conversations/{conversation_id}/plan", session=session
        ),
        409,
    )
    if isinstance(plan, ApiError):
        return error_page(
            request,
            409,
            "No plan yet",
            "You can make a plan together once the request is accepted.",
        )
    return render(
        request,
        "plan.html",
        status_code=status_code,
        title=f"Plan with {other}",
        about=about,
        other=other,
        plan=plan,
        owners=OWNERS,
        goals_text=goals_text if goals_text is not None else "\n".join(plan["goals"]),
        rows=rows if rows is not None else _rows(plan["actions"]),
        version=version if version is not None else plan["version"],
        errors=errors,
    )


@router.get("/conversations/{conversation_id}/plan")
async def plan_page(
    request: Request, conversation_id: str, session: MemberSession, backend: BackendDep
) -> Response:
    """The shared plan: goals and actions, with the form to change them."""
    return await _render_plan(request, conversation_id, session, backend)


def _read_rows(form: FormData) -> list[dict[str, str]]:
    try:
        count = min(int(text(form, "action_count") or "0"), MAX_ACTIONS + 1)
    except ValueError:
        count = 0
    fields = ("id", "text", "owner", "day", "month", "year", "done", "remove")
    return [{f: text(form, f"action-{i}-{f}") for f in fields} for i in range(count)]


def _parse(
    goals_text: str, rows: list[dict[str, str]], errors: FormErrors
) -> tuple[list[str], list[dict[str, Any]]]:
    goals = [line.strip() for line in goals_text.splitlines() if line.strip()]
    if len(goals) > MAX_GOALS:
        errors.add("goals", f"Enter at most {MAX_GOALS} goals")
    elif any(len(g) > MAX_GOAL_LENGTH for g in goals):
        errors.add("goals", f"Each goal must be {MAX_GOAL_LENGTH} characters or fewer")
    actions: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        if row["remove"] == "yes" or not (row["text"] or row["id"]):
            continue
        field = f"action-{index}-text"
        if not row["text"]:
            errors.add(field, "Enter what the action is, or tick Remove")
            continue
        if len(row["text"]) > MAX_ACTION_LENGTH:
            errors.add(field, f"An action must be {MAX_ACTION_LENGTH} characters or fewer")
            continue
        due: str | None = None
        if row["day"] or row["month"] or row["year"]:
            try:
                due = date(int(row["year"]), int(row["month"]), int(row["day"])).isoformat()
            except ValueError:
                errors.add(f"action-{index}-due-day", "Enter a real due date, like 27 3 2027")
                continue
        action: dict[str, Any] = {
            "text": row["text"],
            "owner": row["owner"] if row["owner"] in OWNERS else "both",
            "due_on": due,
            "done": row["done"] == "yes",
        }
        if row["id"]:
            action["id"] = row["id"]
        actions.append(action)
    if len(actions) > MAX_ACTIONS:
        errors.add("action-0-text", f"A plan can have at most {MAX_ACTIONS} actions")
    return goals, actions


@router.post("/conversations/{conversation_id}/plan")
async def save_plan(
    request: Request,
    conversation_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Save the plan over the version the page showed; a clash shows the plan as it is now."""
    goals_text = raw_text(form, "goals")
    rows = _read_rows(form)
    try:
        version = int(text(form, "version"))
    except ValueError:
        version = -1
    errors = FormErrors()
    goals, actions = _parse(goals_text, rows, errors)
    if not errors and version >= 0:
        saved = await attempt(
            backend.call(
                "messaging",
                "PUT",
                f"/v1/conversations/{conversation_id}/plan",
                session=session,
                json={"version": version, "goals": goals, "actions": actions},
            ),
            404,
            409,
            422,
        )
        if not isinstance(saved, ApiError):
            session.add_flash("Plan saved", "")
            return redirect(f"/conversations/{conversation_id}/plan")
        if saved.code == "plan_version_conflict":
            errors.add(
                "goals",
                "The other person changed the plan while you were editing it. "
                "This is the plan as it is now: make your change again",
            )
            return await _render_plan(
                request, conversation_id, session, backend, errors=errors, status_code=409
            )
        errors.add("goals", saved.message or "The plan could not be saved")
    if version < 0:
        errors.add("goals", "The page was out of date: reload it and try again")
    return await _render_plan(
        request,
        conversation_id,
        session,
        backend,
        errors=errors,
        goals_text=goals_text,
        rows=[*(r for r in rows if r["text"] or r["id"]), _rows([])[0]],
        version=max(version, 0),
        status_code=422,
    )


async def _session_of(
    backend: BackendDep, session: MemberSession, conversation_id: str, session_id: str
) -> dict[str, Any] | None:
    found = await backend.json(
        "messaging", "GET", f"/v1/conversations/{conversation_id}/sessions", session=session
    )
    return item_with_id(found.get("items", []), session_id)


async def _render_notes(
    request: Request,
    conversation_id: str,
    session_id: str,
    session: MemberSession,
    backend: BackendDep,
    *,
    errors: FormErrors | None = None,
    body: str | None = None,
    status_code: int = 200,
) -> Response:
    about = await conversation_of(backend, session, conversation_id)
    meeting = await _session_of(backend, session, conversation_id, session_id)
    if meeting is None:
        return not_found(request, NOT_YOURS)
    notes = await backend.json(
        "messaging",
        "GET",
        f"/v1/conversations/{conversation_id}/sessions/{session_id}/notes",
        session=session,
    )
    return render(
        request,
        "session_notes.html",
        status_code=status_code,
        title="Your notes on the session",
        about=about,
        meeting=meeting,
        notes=notes,
        body=body if body is not None else notes["body"],
        errors=errors,
    )


@router.get("/conversations/{conversation_id}/sessions/{session_id}/notes")
async def notes_page(
    request: Request,
    conversation_id: str,
    session_id: str,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """The caller's private notes on one session."""
    return await _render_notes(request, conversation_id, session_id, session, backend)


@router.post("/conversations/{conversation_id}/sessions/{session_id}/notes")
async def save_notes(
    request: Request,
    conversation_id: str,
    session_id: str,
    form: CheckedForm,
    session: MemberSession,
    backend: BackendDep,
) -> Response:
    """Save the caller's notes on the session."""
    body = text(form, "body")
    errors = FormErrors()
    errors.check_text("body", body, limit=MAX_NOTES_LENGTH, what="Your notes")
    if not errors:
        saved = await attempt(
            backend.call(
                "messaging",
                "PUT",
                f"/v1/conversations/{conversation_id}/sessions/{session_id}/notes",
                session=session,
                json={"body": body},
            ),
            404,
            422,
        )
        if not isinstance(saved, ApiError):
            session.add_flash("Notes saved", "Only you can see them.")
            return redirect(f"/conversations/{conversation_id}/sessions/{session_id}/notes")
        if saved.status == 404:
            return not_found(request, NOT_YOURS)
        errors.add("body", saved.message or "Your notes could not be saved")
    return await _render_notes(
        request,
        conversation_id,
        session_id,
        session,
        backend,
        errors=errors,
        body=body,
        status_code=422,
    )
