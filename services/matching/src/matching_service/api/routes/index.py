"""Index status."""

from __future__ import annotations

from fastapi import APIRouter

from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import EventPublic, IndexStatusPublic, ProfileIndexStatus
from mentor_shared.web.errors import Forbidden, error_responses

router = APIRouter(prefix="/v1/index", tags=["index"])


@router.get("/status", responses=error_responses(401, 403))
async def index_status(
    principal: CurrentPrincipal, context: ContextDep, profile_id: str | None = None
) -> IndexStatusPublic | ProfileIndexStatus:
    """Totals and the last event applied; with ``profile_id``, the version indexed.

    The per-profile form is for that person or an administrator (403 otherwise).
    """
    index = context.index
    if profile_id is not None:
        if profile_id != principal.id and not principal.is_admin:
            raise Forbidden("You can only check your own profile", code="not_your_profile")
        held = index.matcher.profile(profile_id)
        return ProfileIndexStatus(profile_id=profile_id, version=held.version if held else None)
    totals = index.matcher.status()
    last = index.last_event
    return IndexStatusPublic(
        profiles=totals.profiles,
        offers=totals.offers,
        seeks=totals.seeks,
        last_event=None
        if last is None
        else EventPublic(id=last.id, type=last.type, occurred_at=last.occurred_at),
        lag=context.consumer.progress.lag,
        snapshot_at=index.snapshot_at,
        loaded=index.loaded,
    )
