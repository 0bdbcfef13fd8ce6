"""Cohort matching: a programme's mentees assigned to mentors under their capacities."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import ApiError, attempt
from web_service.deps import AdminSession, BackendDep, CheckedForm
from web_service.forms import FormErrors, text
from web_service.rendering import FormPage

router = APIRouter()

COHORTS = FormPage("admin/cohorts.html", "Cohort matching")


@router.get("/cohorts")
async def cohorts_form(request: Request, session: AdminSession) -> Response:
    """Run cohort matching for a programme (if the matching service offers it)."""
    return COHORTS.show(request, result=None, values={})


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
        result = await attempt(
            backend.json(
                "matching",
                "POST",
                "/v1/admin/cohorts",
                session=session,
                json={"mentee_ids": mentees, "mentor_ids": mentors},
            ),
            404,
            409,
            422,
        )
        if isinstance(result, ApiError):
            errors.add("mentee_ids", result.message or "The cohort could not be matched")
            result = None
    return COHORTS.show(request, errors, result=result, values=values)
