"""Administration: the allow-list, usage figures and the coach import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from mentor_shared.web.errors import error_responses
from profile_service.api.deps import AdminPrincipal, DepsDep, UowDep
from profile_service.api.schemas import (
    DomainsOut,
    DomainsUpdate,
    ImportListOut,
    ImportOut,
    StatsOut,
)
from profile_service.api.uploads import multipart_body, read_files
from profile_service.domain import commands
from profile_service.domain.coach_import import MAX_IMPORT_BYTES
from profile_service.domain.coach_workbook import XLSX_CONTENT_TYPE
from profile_service.domain.errors import ImportFileInvalid
from profile_service.service import admin as admin_service
from profile_service.service import erasure

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/domains", response_model=DomainsOut, responses=error_responses(401, 403))
async def get_domains(admin: AdminPrincipal, uow: UowDep) -> DomainsOut:
    """The email domains allowed to register."""
    domains = await admin_service.get_allowed_domains(uow)
    return DomainsOut(domains=domains.entries())


@router.put("/domains", response_model=DomainsOut, responses=error_responses(401, 403, 422))
async def put_domains(body: DomainsUpdate, admin: AdminPrincipal, uow: UowDep) -> DomainsOut:
    """Replace the allow-list (``nhs.net`` exact, ``*.gov.uk`` every subdomain)."""
    domains = await admin_service.replace_allowed_domains(
        commands.ReplaceAllowedDomains(body.domains), uow
    )
    return DomainsOut(domains=domains.entries())


@router.get("/stats", response_model=StatsOut, responses=error_responses(401, 403))
async def stats(admin: AdminPrincipal, uow: UowDep) -> StatsOut:
    """Users, verified, mentors, mentees, coaches and people per department."""
    figures = await admin_service.get_stats(uow)
    return StatsOut.model_validate(figures, from_attributes=True)


@router.post(
    "/import",
    responses=error_responses(401, 403, 413, 422),
    openapi_extra=multipart_body(
        "file",
        many=False,
        description=(
            "The coach spreadsheet as CSV (UTF-8 or Windows-1252) or as an Excel "
            "workbook (.xlsx, first sheet read); the format is told from the content"
        ),
        content_types=("text/csv", XLSX_CONTENT_TYPE),
    ),
)
async def import_coaches(
    request: Request,
    admin: AdminPrincipal,
    uow: UowDep,
    deps: DepsDep,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Check (``dry_run=true``) or import the coach CSV or .xlsx; importing twice changes nothing.

    The file is read only after the caller is known to be an administrator.
    """
    ((filename, content),) = await read_files(
        request, "file", max_files=1, max_bytes=MAX_IMPORT_BYTES, error=ImportFileInvalid
    )
    report = await admin_service.import_coaches(
        commands.ImportCoaches(content=content, dry_run=dry_run, filename=filename), uow, deps
    )
    return report.to_dict()


ImportId = Annotated[str, Path(min_length=1, max_length=64, description="The import's id")]


@router.get("/imports", response_model=ImportListOut, responses=error_responses(401, 403))
async def list_imports(admin: AdminPrincipal, uow: UowDep) -> ImportListOut:
    """The latest 20 coach imports with their claim invitations' progress, newest first."""
    imports = await admin_service.recent_imports(uow)
    return ImportListOut(items=[ImportOut.model_validate(i.to_dict()) for i in imports])


@router.get(
    "/imports/{import_id}",
    response_model=ImportOut,
    responses=error_responses(401, 403, 404, 422),
)
async def get_import(import_id: ImportId, admin: AdminPrincipal, uow: UowDep) -> ImportOut:
    """One import and how far its claim invitations have gone (poll it for progress)."""
    progress = await admin_service.import_progress(import_id, uow)
    return ImportOut.model_validate(progress.to_dict())


@router.post(
    "/imports/{import_id}/invitations",
    status_code=202,
    response_model=ImportOut,
    responses=error_responses(401, 403, 404, 422),
)
async def send_invitations(
    import_id: ImportId, admin: AdminPrincipal, uow: UowDep, deps: DepsDep
) -> ImportOut:
    """Send the import's claim invitations: they go out in the background at
    ``CLAIM_INVITATIONS_PER_MINUTE`` at most; asking again sends nothing twice."""
    progress = await admin_service.send_import_invitations(import_id, uow, deps)
    return ImportOut.model_validate(progress.to_dict())


@router.delete("/accounts", responses=error_responses(401, 403, 404, 422))
async def erase_account(
    admin: AdminPrincipal,
    uow: UowDep,
    deps: DepsDep,
    email: Annotated[str, Query(max_length=320, description="The person's sign-in address")],
) -> dict[str, str]:
    """Erase a person who asked to be erased, everywhere (publishes ``profile.deleted``)."""
    account_id = await erasure.erase_account_on_request(email, uow, deps)
    return {"erased": account_id}
