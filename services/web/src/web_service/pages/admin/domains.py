"""The allow-list of email domains that may sign up."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import ApiError, attempt
from web_service.deps import AdminSession, BackendDep, CheckedForm
from web_service.forms import FormErrors, text
from web_service.redirects import redirect
from web_service.rendering import render

router = APIRouter()


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
        saved = await attempt(
            backend.call(
                "profile", "PUT", "/v1/admin/domains", session=session, json={"domains": entries}
            ),
            422,
        )
        if not isinstance(saved, ApiError):
            session.add_flash("The allowed domains have been saved", f"{len(entries)} entries.")
            return redirect("/admin/domains")
        errors.add("domains", _domain_errors(saved))
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
