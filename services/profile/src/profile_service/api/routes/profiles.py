"""Profiles: one's own, others', contact details, the directory, import and erasure."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status

from mentor_shared.web.errors import error_responses
from profile_service.api.deps import CurrentPrincipal, DepsDep, UowDep
from profile_service.api.schemas import (
    AccountDeletion,
    AnonymisedCard,
    Contact,
    DirectoryPageOut,
    LinkedInImportOut,
    Profile,
    ProfileUpdate,
    PublicProfile,
)
from profile_service.api.uploads import multipart_body, read_files
from profile_service.domain import commands
from profile_service.domain.directory import MAX_PAGE, DirectoryQuery, RoleFilter
from profile_service.domain.errors import LinkedInExportInvalid
from profile_service.domain.linkedin import MAX_UPLOAD_BYTES, parse_linkedin_files
from profile_service.service import erasure, grants, profiles

router = APIRouter(tags=["profiles"])

Code = Annotated[str | None, Query(max_length=60)]


@router.get("/v1/profiles/me", response_model=Profile, responses=error_responses(401, 404))
async def get_me(principal: CurrentPrincipal, uow: UowDep) -> Profile:
    """The caller's profile, contact details included."""
    return await profiles.get_own_profile(principal.id, uow)


@router.put("/v1/profiles/me", response_model=Profile, responses=error_responses(401, 404, 422))
async def put_me(
    body: ProfileUpdate, principal: CurrentPrincipal, uow: UowDep, deps: DepsDep
) -> Profile:
    """Change the fields given (others stay); unknown fields are refused."""
    return await profiles.update_profile(commands.UpdateProfile(principal.id, body), uow, deps)


@router.delete(
    "/v1/profiles/me",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 413, 422, 429),
)
async def delete_me(
    body: AccountDeletion, principal: CurrentPrincipal, uow: UowDep, deps: DepsDep
) -> None:
    """Erase the account and everything held about it, in every service.

    The password is asked again (403 ``password_incorrect`` when wrong; counted
    towards the sign-in lockout, 429 past it), so a stolen session cannot erase anyone.
    """
    await erasure.delete_own_account(
        commands.DeleteOwnAccount(principal.id, body.password), uow, deps
    )


@router.get("/v1/me/export", responses=error_responses(401, 404))
async def export_me(principal: CurrentPrincipal, uow: UowDep) -> dict[str, Any]:
    """Everything the profile service holds about the caller, as JSON.

    The account (never the password hash), the profile with contact details, the
    contact grants naming them (the other person appears only by id) and their
    sessions (never token hashes). Every service answers the same path for what it
    holds; the web frontend collects them into one download.
    """
    return await erasure.export_account(principal.id, uow)


@router.get("/v1/profiles/me/export", responses=error_responses(401, 404))
async def export_me_here_too(principal: CurrentPrincipal, uow: UowDep) -> dict[str, Any]:
    """The same as `GET /v1/me/export` (kept at the path it was first published at)."""
    return await erasure.export_account(principal.id, uow)


@router.post(
    "/v1/profiles/me/import/linkedin",
    response_model=LinkedInImportOut,
    responses=error_responses(401, 404, 413, 422),
    openapi_extra=multipart_body(
        "files", many=True, description="The export ZIP or its CSV files (at most 10)"
    ),
)
async def import_linkedin(
    request: Request,
    principal: CurrentPrincipal,
    uow: UowDep,
    deps: DepsDep,
    confirm: bool = False,
) -> LinkedInImportOut:
    """Preview (default) or apply what the member's LinkedIn export would fill in.

    The files are read only after the caller is authenticated.
    """
    uploads = await read_files(
        request, "files", max_files=10, max_bytes=MAX_UPLOAD_BYTES, error=LinkedInExportInvalid
    )
    prefill = await asyncio.to_thread(parse_linkedin_files, uploads)
    current = await profiles.get_own_profile(principal.id, uow)
    changes = [
        {"field": c.field, "current": c.current, "proposed": c.proposed}
        for c in prefill.preview(current)
    ]
    profile = None
    if confirm:
        profile = await profiles.update_profile(
            commands.UpdateProfile(principal.id, prefill.to_update(current)), uow, deps
        )
    return LinkedInImportOut.model_validate(
        {
            "applied": confirm,
            "changes": changes,
            "files_used": prefill.files_used,
            "notes": prefill.notes,
            "profile": profile,
        }
    )


@router.get("/v1/profiles", response_model=DirectoryPageOut, responses=error_responses(401, 422))
async def directory(
    principal: CurrentPrincipal,
    uow: UowDep,
    deps: DepsDep,
    q: Annotated[str | None, Query(max_length=100, description="Part of a name")] = None,
    department: Code = None,
    profession: Code = None,
    grade: Code = None,
    region: Code = None,
    role: RoleFilter | None = None,
    cursor: Annotated[
        str | None,
        Query(max_length=1000, description="`next_cursor` of the previous page (opaque)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> DirectoryPageOut:
    """Search the directory by name and filters, in name order, a page at a time.

    Only people whose address is confirmed (and imported coaches) are listed.
    Anonymous people appear as initials, department and grade, and never match a
    name, profession or region. A cursor that was altered or not issued here is
    refused with 422 `invalid_cursor`.
    """
    query = DirectoryQuery(
        q=q,
        department=department,
        profession=profession,
        grade=grade,
        region=region,
        role=role,
        after=deps.cursors.open(cursor) if cursor else None,
        limit=limit,
    )
    page = await profiles.search_directory(query, principal.id, principal.is_admin, uow, deps)
    return DirectoryPageOut(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/v1/profiles/{profile_id}",
    response_model=PublicProfile | AnonymisedCard,
    responses=error_responses(401, 404),
)
async def get_profile(
    profile_id: str,
    principal: CurrentPrincipal,
    uow: UowDep,
) -> PublicProfile | AnonymisedCard:
    """Someone's profile without contact details (anonymised if they chose so)."""
    return await profiles.get_public_profile(profile_id, principal.id, principal.is_admin, uow)


@router.get(
    "/v1/profiles/{profile_id}/contact",
    response_model=Contact,
    responses=error_responses(401, 403, 404),
)
async def get_contact(profile_id: str, principal: CurrentPrincipal, uow: UowDep) -> Contact:
    """Contact details: only for the other person of an active accepted match."""
    return await grants.get_contact(profile_id, principal.id, uow)


@router.get("/v1/reference")
async def reference(deps: DepsDep) -> dict[str, list[dict[str, str]]]:
    """Departments and agencies, professions, grades and regions: ``{code, name}`` each."""
    return deps.reference.as_dict()
