"""Check-ins: the caller's "How is it going?" questions, their answers, and the
administrators' aggregate view."""

from __future__ import annotations

from fastapi import APIRouter, Response

from mentor_shared.web.errors import error_responses
from notifications_service.api.deps import AdminPrincipal, CurrentPrincipal, UowDep
from notifications_service.api.schemas import (
    CheckInAnswer,
    CheckInPublic,
    CheckInRound,
    CheckInSummary,
)
from notifications_service.domain.checkins import SUPPRESS_BELOW
from notifications_service.service import commands

router = APIRouter(tags=["checkins"])


@router.get("/v1/checkins", response_model=list[CheckInPublic], responses=error_responses(401))
async def list_pending(principal: CurrentPrincipal, uow: UowDep) -> list[CheckInPublic]:
    """The caller's check-ins not yet answered, newest first."""
    return [
        CheckInPublic.model_validate(c) for c in await commands.pending_checkins(uow, principal.id)
    ]


@router.get(
    "/v1/checkins/{checkin_id}",
    response_model=CheckInPublic,
    responses=error_responses(401, 404),
)
async def get_checkin(
    checkin_id: str, principal: CurrentPrincipal, uow: UowDep, response: Response
) -> CheckInPublic:
    """One of the caller's check-ins (404 for anyone else's)."""
    item = await commands.get_checkin(uow, principal.id, checkin_id)
    response.headers["Cache-Control"] = "no-store"
    return CheckInPublic.model_validate(item)


@router.post(
    "/v1/checkins/{checkin_id}",
    response_model=CheckInPublic,
    responses=error_responses(401, 404, 409, 422),
)
async def answer_checkin(
    checkin_id: str, body: CheckInAnswer, principal: CurrentPrincipal, uow: UowDep
) -> CheckInPublic:
    """Answer one of the caller's check-ins, once (409 on a second answer;
    404 for anyone else's, administrators included)."""
    item = await commands.answer_checkin(
        uow, principal.id, checkin_id, rating=body.rating, comment=body.comment
    )
    return CheckInPublic.model_validate(item)


@router.get(
    "/v1/admin/checkins/summary",
    response_model=CheckInSummary,
    responses=error_responses(401, 403),
)
async def summary(_admin: AdminPrincipal, uow: UowDep) -> CheckInSummary:
    """Per round (after the 3rd and 6th session): how many were sent and, once at
    least five people answered, the count, mean rating and distribution. Smaller
    groups show "<5" and nulls. Comments are never shown."""
    rounds = await commands.checkin_summary(uow)
    return CheckInSummary(
        rounds=[
            CheckInRound(
                round=r.round,
                sent=r.sent,
                answered=r.answered,
                answered_display=str(r.answered) if r.answered is not None else "<5",
                mean_rating=r.mean_rating,
                distribution={str(k): v for k, v in r.distribution.items()}
                if r.distribution is not None
                else None,
            )
            for r in rounds
        ],
        suppressed_below=SUPPRESS_BELOW,
    )
