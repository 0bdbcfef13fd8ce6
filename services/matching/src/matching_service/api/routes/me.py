"""The caller's own data."""

from __future__ import annotations

from fastapi import APIRouter

from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import (
    CardPublic,
    ExportedMatch,
    ExportedSaved,
    MatchingExport,
)
from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("/export/matching", responses=error_responses(401))
async def export(principal: CurrentPrincipal, context: ContextDep) -> MatchingExport:
    """Everything the matching service holds about the caller, as JSON.

    Their profile as matching holds it, their match requests as mentee and as mentor
    or coach (the other person only as the card the caller already sees in
    ``GET /v1/matches``; feedback only when the caller gave it), and their recent
    reply times, their shortlist (each person as the card the caller sees) and the
    month they were last active. Matching keeps no cohort records (cohort plans are
    answered, not stored); the vectors derived from the profile are not exported
    (they are numbers computed from the profile text above).
    """
    read = context.read_model
    profiles = await read.profiles_by_id([principal.id])
    matches = await read.matches_of(principal.id)
    others = await read.profiles_by_id([match.other(principal.id) for match in matches])
    replies = await read.reply_times_of(principal.id)
    saved = await read.shortlist_of(principal.id)
    saved_profiles = await read.profiles_by_id([entry.profile_id for entry in saved])
    months = await read.active_months([principal.id])
    return MatchingExport(
        subject_id=principal.id,
        exported_at=utc_now(),
        profile=profiles.get(principal.id),
        matches=[
            ExportedMatch.of(
                match,
                principal.id,
                CardPublic.of(others.get(match.other(principal.id)), reveal=True),
            )
            for match in matches
        ],
        reply_hours=list(replies.recent_hours) if replies else [],
        shortlist=[
            ExportedSaved(
                profile_id=entry.profile_id,
                saved_at=entry.saved_at,
                card=CardPublic.of(saved_profiles.get(entry.profile_id)),
            )
            for entry in saved
        ],
        last_active=months.get(principal.id),
    )
