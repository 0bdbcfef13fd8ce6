"""Administration: allowed email domains, coach import, usage figures, cohort matching,
reported messages, department webhook subscriptions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from starlette.datastructures import UploadFile

from web_service.backend import ApiError, ServiceUnavailable
from web_service.chart import Series, bar_chart_svg
from web_service.deps import AdminSession, BackendDep, CheckedForm
from web_service.forms import FormErrors, errors_from_api, text, texts
from web_service.redirects import redirect
from web_service.reference import names_of, reference_lists
from web_service.rendering import render

router = APIRouter(prefix="/admin")

MAX_CSV_BYTES = 5 * 1024 * 1024
REPORTS_SHOWN = 100
# The anonymised match events a department can subscribe to, as the notifications
# service names them.
MATCH_EVENTS = {
    "requested": "Request sent",
    "accepted": "Request accepted",
    "declined": "Request declined",
    "withdrawn": "Request withdrawn",
    "expired": "Request expired",
    "ended": "Mentoring ended",
}
DELIVERY_STATES = {"delivered": "delivered", "pending": "waiting", "parked": "given up"}


@router.get("")
async def admin_home(request: Request, session: AdminSession) -> Response:
    """What administrators can do."""
    return render(request, "admin/index.html", title="Administration")


@router.get("/domains")
async def domains_form(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """The allow-list, one domain a line."""
    found = await backend.json("profile", "GET", "/v1/admin/domains", session=session)
    return render(
        request,
        "admin/domains.html",
        title="Allowed email domains",
        domains="\n".join(found.get("domains", [])),
    )


@router.post("/domains")
async def save_domains(
    request: Request, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Replace the allow-list; every bad entry is reported."""
    raw = text(form, "domains")
    entries = [line.strip() for line in raw.replace(",", "\n").splitlines() if line.strip()]
    errors = FormErrors()
    if not entries:
        errors.add("domains", "Enter at least one email domain")
    else:
        try:
            await backend.call(
                "profile",
                "PUT",
                "/v1/admin/domains",
                session=session,
                json={"domains": entries},
            )
        except ApiError as error:
            if error.status != 422:
                raise
            errors.add("domains", _domain_errors(error))
        else:
            session.add_flash("The allowed domains have been saved", f"{len(entries)} entries.")
            return redirect("/admin/domains")
    return render(
        request,
        "admin/domains.html",
        status_code=422,
        title="Allowed email domains",
        domains=raw,
        errors=errors,
    )


def _domain_errors(error: ApiError) -> str:
    details = error.details if isinstance(error.details, list) else []
    reasons = [
        f"{d.get('entry') or d.get('domain') or d.get('value') or ''}: {d.get('reason') or d.get('message') or ''}".strip(
            ": "
        )
        for d in details
        if isinstance(d, dict)
    ]
    return "; ".join(r for r in reasons if r) or error.message


IMPORTS_SHOWN = 10


def invitation_progress(invitations: dict[str, Any]) -> str:
    """One line saying how far an import's claim invitations have gone."""
    total = int(invitations.get("total", 0))
    sent = int(invitations.get("sent", 0))
    skipped = int(invitations.get("skipped", 0))
    queued = int(invitations.get("queued", 0))
    pending = int(invitations.get("pending", 0))
    if total == 0:
        return "No invitations: the import created no new accounts."
    done = f"{sent:,} of {total:,} invitations sent"
    if skipped:
        done += f" ({skipped:,} not needed: already set up)"
    if queued:
        return f"Sending: {done}, {queued:,} still to go."
    if pending:
        return f"Not sent yet: {pending:,} invitations are waiting for you to send them."
    return f"Finished: {done}."


def _import_view(found: dict[str, Any]) -> dict[str, Any]:
    invitations = found.get("invitations", {})
    when = str(found.get("created_at", ""))[:16].replace("T", " ") + " UTC"
    return {
        **found,
        "when": when,
        "link_html": Markup('<a class="govuk-link" href="/admin/imports/{}">{}</a>').format(
            found.get("id", ""), when
        ),
        "progress": invitation_progress(invitations),
        "can_send": int(invitations.get("pending", 0)) > 0,
        "sending": int(invitations.get("queued", 0)) > 0,
    }


async def _recent_imports(backend: BackendDep, session: AdminSession) -> list[dict[str, Any]]:
    found = await backend.json("profile", "GET", "/v1/admin/imports", session=session)
    items = found.get("items", []) if isinstance(found, dict) else []
    return [_import_view(item) for item in items[:IMPORTS_SHOWN]]


@router.get("/import")
async def import_form(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Upload the coach spreadsheet (CSV or Excel .xlsx); check it first. Earlier
    imports are listed with their invitations."""
    return render(
        request,
        "admin/import.html",
        title="Import coaches",
        report=None,
        imports=await _recent_imports(backend, session),
    )


@router.get("/imports/{import_id}")
async def import_status(
    request: Request, import_id: str, session: AdminSession, backend: BackendDep
) -> Response:
    """One import and how far its invitations have gone (refresh to follow them)."""
    try:
        found = await backend.json(
            "profile", "GET", f"/v1/admin/imports/{import_id}", session=session
        )
    except ApiError as error:
        if error.status not in (404, 422):
            raise
        return render(
            request,
            "error.html",
            status_code=404,
            title="Page not found",
            message="There is no import with this address.",
        )
    return render(
        request, "admin/import_status.html", title="Coach import", item=_import_view(found)
    )


@router.get("/imports/{import_id}/progress")
async def import_progress_line(
    import_id: str, session: AdminSession, backend: BackendDep
) -> Response:
    """The progress line alone, for the status page to refresh itself (JSON)."""
    found = await backend.json("profile", "GET", f"/v1/admin/imports/{import_id}", session=session)
    view = _import_view(found)
    return JSONResponse(
        {"progress": view["progress"], "sending": view["sending"]},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/imports/{import_id}/invitations")
async def send_invitations(
    import_id: str, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Send an import's claim invitations; they go out in the background."""
    try:
        found = await backend.json(
            "profile", "POST", f"/v1/admin/imports/{import_id}/invitations", session=session
        )
    except ApiError as error:
        if error.status not in (404, 422):
            raise
        session.add_flash("There is no such import", "", "info")
        return redirect("/admin/import")
    queued = int(found.get("invitations", {}).get("queued", 0))
    session.add_flash(
        "The invitations are being sent",
        f"{queued:,} coaches will get an email with a link to set up their account.",
    )
    return redirect(f"/admin/imports/{import_id}")


@router.post("/import")
async def import_coaches(
    request: Request, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Check (dry run) or import; the report lists every bad row."""
    upload = form.get("file")
    dry_run = text(form, "mode") != "import"
    errors = FormErrors()
    content = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "Select a CSV or Excel (.xlsx) file")
    else:
        content = await upload.read(MAX_CSV_BYTES + 1)
        if len(content) > MAX_CSV_BYTES:
            errors.add("file", "The file must be smaller than 5 MB")
        elif not content:
            errors.add("file", "The selected file is empty")
    report: dict[str, Any] | None = None
    if not errors:
        filename = upload.filename if isinstance(upload, UploadFile) else "coaches.csv"
        # The profile service tells CSV from .xlsx by the content; the type is passed on.
        media_type = (upload.content_type if isinstance(upload, UploadFile) else None) or "text/csv"
        try:
            report = await backend.json(
                "profile",
                "POST",
                "/v1/admin/import",
                session=session,
                params={"dry_run": "true" if dry_run else "false"},
                files={"file": (filename or "coaches.csv", content, media_type)},
            )
        except ApiError as error:
            if error.status != 422:
                raise
            if isinstance(error.details, dict) and "errors" in error.details:
                report = {**error.details, "dry_run": dry_run, "refused": True}
            else:
                errors.add("file", error.message)
    return render(
        request,
        "admin/import.html",
        status_code=422 if errors else 200,
        title="Import coaches",
        report=report,
        dry_run=dry_run,
        errors=errors,
        imports=await _recent_imports(backend, session),
    )


@router.get("/usage")
async def usage(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Usage figures with charts and the same data as tables."""
    stats = await backend.json("profile", "GET", "/v1/admin/stats", session=session)
    names = names_of(await reference_lists(request))["departments"]
    by_department = sorted(
        stats.get("by_department", {}).items(), key=lambda item: (-item[1], item[0])
    )
    people_rows = [(names.get(code, code or "Not given"), count) for code, count in by_department]
    people_chart = bar_chart_svg(
        [label for label, _ in people_rows[:20]],
        [Series("People", "mm-bar-requests", [count for _, count in people_rows[:20]])],
        title="People by department (largest 20)",
        description="Bar chart. The same figures are in the table below it.",
        chart_id="people-chart",
    )
    weekly, weekly_unavailable = await _weekly_activity(backend, session, names)
    checkins = await _checkin_summary(backend, session)
    weekly_chart = None
    if weekly:
        labels = [f"{row['week']} {row['department']}" for row in weekly]
        weekly_chart = bar_chart_svg(
            labels,
            [
                Series("Requests", "mm-bar-requests", [row["requests"] for row in weekly]),
                Series("Matches", "mm-bar-matches", [row["matches"] for row in weekly]),
            ],
            title="Requests and matches per week by department",
            description="Grouped bar chart. The same figures are in the table below it.",
            chart_id="weekly-chart",
        )
    return render(
        request,
        "admin/usage.html",
        title="Usage",
        stats=stats,
        people_rows=people_rows,
        people_chart=Markup(people_chart),  # noqa: S704 - built by bar_chart_svg, which escapes every label
        weekly=weekly,
        weekly_chart=Markup(weekly_chart) if weekly_chart else None,  # noqa: S704 - as above
        weekly_unavailable=weekly_unavailable,
        checkins=checkins,
    )


async def _checkin_summary(backend: BackendDep, session: AdminSession) -> dict[str, Any] | None:
    """Check-in aggregates per round from the notifications service (small groups
    already suppressed there), or None when it cannot be reached."""
    try:
        found = await backend.json(
            "notifications", "GET", "/v1/admin/checkins/summary", session=session
        )
    except (ServiceUnavailable, ApiError):
        return None
    return found if isinstance(found, dict) else None


@router.get("/usage/matches.csv")
async def matches_csv(session: AdminSession, backend: BackendDep) -> Response:
    """The matching service's match report (already aggregated and suppressed), as a download."""
    answer = await backend.call("matching", "GET", "/v1/admin/reports/matches.csv", session=session)
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="mentor-match-matches.csv"',
            "Cache-Control": "no-store",
        },
    )


async def _weekly_activity(
    backend: BackendDep, session: AdminSession, names: dict[str, str]
) -> tuple[list[dict[str, Any]], bool]:
    """Requests and matches per ISO week and department, from the matching service.

    Returns the rows and whether the figures were unavailable.
    """
    try:
        found = await backend.json("matching", "GET", "/v1/admin/stats/matching", session=session)
    except (ServiceUnavailable, ApiError):
        return [], True
    rows = found.get("weekly", []) if isinstance(found, dict) else []
    return [
        {
            "week": str(row.get("week", "")),
            "department": names.get(
                row.get("department") or "", row.get("department") or "Not given"
            ),
            "requests": int(row.get("requests", 0)),
            "matches": int(row.get("accepted", 0)),
        }
        for row in rows
        if isinstance(row, dict)
    ], False


@router.get("/cohorts")
async def cohorts_form(request: Request, session: AdminSession) -> Response:
    """Run cohort matching for a programme (if the matching service offers it)."""
    return render(request, "admin/cohorts.html", title="Cohort matching", result=None, values={})


@router.post("/cohorts")
async def run_cohort(
    request: Request, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Assign a cohort of mentees to mentors under their capacities."""
    values = {"mentee_ids": text(form, "mentee_ids"), "mentor_ids": text(form, "mentor_ids")}
    mentees = values["mentee_ids"].split()
    mentors = values["mentor_ids"].split()
    errors = FormErrors()
    if not mentees:
        errors.add("mentee_ids", "Enter the mentees' profile ids, one a line")
    if not mentors:
        errors.add("mentor_ids", "Enter the mentors' profile ids, one a line")
    result = None
    if not errors:
        try:
            result = await backend.json(
                "matching",
                "POST",
                "/v1/admin/cohorts",
                session=session,
                json={"mentee_ids": mentees, "mentor_ids": mentors},
            )
        except ApiError as error:
            if error.status not in (404, 409, 422):
                raise
            errors.add("mentee_ids", error.message or "The cohort could not be matched")
    return render(
        request,
        "admin/cohorts.html",
        status_code=422 if errors else 200,
        title="Cohort matching",
        result=result,
        values=values,
        errors=errors,
    )


@router.get("/reports")
async def reports(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Reported messages, newest first: the message, the reason and who reported it."""
    found = await backend.json(
        "messaging", "GET", "/v1/admin/reports", session=session, params={"limit": REPORTS_SHOWN}
    )
    items = [item for item in found.get("items", []) if isinstance(item, dict)]
    reporters = await backend.display_names(
        session, {str(item["reporter_id"]) for item in items if item.get("reporter_id")}
    )
    return render(
        request,
        "admin/reports.html",
        title="Reported messages",
        items=items,
        reporters=reporters,
        limit=REPORTS_SHOWN,
    )


@router.get("/subscriptions")
async def subscriptions(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Departments' webhooks, with how their deliveries are going."""
    found = await backend.json("notifications", "GET", "/v1/subscriptions", session=session)
    names = names_of(await reference_lists(request))["departments"]
    return render(
        request,
        "admin/subscriptions.html",
        title="Webhook subscriptions",
        items=found if isinstance(found, list) else [],
        departments=names,
        event_names=MATCH_EVENTS,
        delivery_states=DELIVERY_STATES,
    )


@router.get("/subscriptions/new")
async def new_subscription_form(request: Request, session: AdminSession) -> Response:
    """Register a department's webhook."""
    return await _render_subscription_form(
        request, {"department": "", "url": "", "events": list(MATCH_EVENTS)}
    )


async def _render_subscription_form(
    request: Request,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    *,
    status_code: int = 200,
) -> Response:
    lists = await reference_lists(request)
    return render(
        request,
        "admin/subscription_new.html",
        status_code=status_code,
        title="Add a webhook subscription",
        values=values,
        errors=errors,
        lists=lists,
        event_names=MATCH_EVENTS,
    )


@router.post("/subscriptions/new")
async def create_subscription(
    request: Request, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Create the subscription; the page that answers shows its signing secret, once.

    The notifications service makes the secret and returns it only in this answer.
    """
    values: dict[str, Any] = {
        "department": text(form, "department"),
        "url": text(form, "url"),
        "events": [event for event in texts(form, "events") if event in MATCH_EVENTS],
    }
    errors = FormErrors()
    if not values["url"]:
        errors.add("url", "Enter the address that will receive the events")
    if not values["events"]:
        errors.add("events", "Select at least one event")
    if errors:
        return await _render_subscription_form(request, values, errors, status_code=422)
    every_event = set(values["events"]) == set(MATCH_EVENTS)
    try:
        created = await backend.json(
            "notifications",
            "POST",
            "/v1/subscriptions",
            session=session,
            json={
                "url": values["url"],
                "department": values["department"] or None,
                # All of them now means all of them later too, should events be added.
                "match_events": None if every_event else values["events"],
            },
        )
    except ApiError as error:
        if error.status != 422:
            raise
        errors = errors_from_api(
            error,
            {
                "url": "url",
                "department": "department",
                "match_events": "events",
            },
            "url",
        )
        return await _render_subscription_form(request, values, errors, status_code=422)
    names = names_of(await reference_lists(request))["departments"]
    # Rendered here rather than after a redirect, so the secret is never stored in the
    # session: this response is the only place it appears (and it is not cached).
    return render(
        request,
        "admin/subscription_created.html",
        title="Webhook subscription added",
        subscription=created,
        departments=names,
        event_names=MATCH_EVENTS,
        secret=created.get("secret") if isinstance(created, dict) else None,
    )


async def _subscription(
    backend: BackendDep, session: AdminSession, subscription_id: str
) -> dict[str, Any] | None:
    found = await backend.json("notifications", "GET", "/v1/subscriptions", session=session)
    for item in found if isinstance(found, list) else []:
        if isinstance(item, dict) and item.get("id") == subscription_id:
            return item
    return None


@router.get("/subscriptions/{subscription_id}/delete")
async def delete_subscription_form(
    request: Request, subscription_id: str, session: AdminSession, backend: BackendDep
) -> Response:
    """Check before deleting: the department stops receiving events."""
    subscription = await _subscription(backend, session, subscription_id)
    if subscription is None:
        return render(
            request,
            "error.html",
            status_code=404,
            title="Page not found",
            message="This subscription does not exist. It may have been deleted already.",
        )
    names = names_of(await reference_lists(request))["departments"]
    return render(
        request,
        "admin/subscription_delete.html",
        title="Delete this webhook subscription",
        subscription=subscription,
        departments=names,
        event_names=MATCH_EVENTS,
    )


@router.post("/subscriptions/{subscription_id}/delete")
async def delete_subscription(
    subscription_id: str, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Delete it; its deliveries still waiting are dropped."""
    try:
        await backend.call(
            "notifications", "DELETE", f"/v1/subscriptions/{subscription_id}", session=session
        )
    except ApiError as error:
        if error.status != 404:
            raise
        session.add_flash("That subscription had already been deleted", "", "info")
    else:
        session.add_flash("The webhook subscription has been deleted", "")
    return redirect("/admin/subscriptions")
