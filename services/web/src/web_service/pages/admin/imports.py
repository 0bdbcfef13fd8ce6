"""Importing coaches from a spreadsheet, and sending them their claim invitations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from starlette.datastructures import UploadFile

from web_service.backend import ApiError, attempt
from web_service.deps import AdminSession, BackendDep, CheckedForm
from web_service.forms import FormErrors, text
from web_service.redirects import redirect
from web_service.rendering import FormPage, not_found, render

router = APIRouter()

MAX_CSV_BYTES = 5 * 1024 * 1024
IMPORTS_SHOWN = 10
IMPORT = FormPage("admin/import.html", "Import coaches")


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
    return IMPORT.show(request, report=None, imports=await _recent_imports(backend, session))


@router.get("/imports/{import_id}")
async def import_status(
    request: Request, import_id: str, session: AdminSession, backend: BackendDep
) -> Response:
    """One import and how far its invitations have gone (refresh to follow them)."""
    found = await attempt(
        backend.json("profile", "GET", f"/v1/admin/imports/{import_id}", session=session),
        404,
        422,
    )
    if isinstance(found, ApiError):
        return not_found(request, "There is no import with this address.")
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
    found = await attempt(
        backend.json(
            "profile", "POST", f"/v1/admin/imports/{import_id}/invitations", session=session
        ),
        404,
        422,
    )
    if isinstance(found, ApiError):
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
        found = await attempt(
            backend.json(
                "profile",
                "POST",
                "/v1/admin/import",
                session=session,
                params={"dry_run": "true" if dry_run else "false"},
                files={"file": (filename or "coaches.csv", content, media_type)},
            ),
            422,
        )
        if not isinstance(found, ApiError):
            report = found
        elif isinstance(found.details, dict) and "errors" in found.details:
            report = {**found.details, "dry_run": dry_run, "refused": True}
        else:
            errors.add("file", found.message)
    return IMPORT.show(
        request,
        errors,
        report=report,
        dry_run=dry_run,
        imports=await _recent_imports(backend, session),
    )
