"""Administrators: index rebuild, cohort matching, usage figures (aggregates only)."""

from __future__ import annotations

import asyncio
import csv
import io

from fastapi import APIRouter
from fastapi.responses import Response

from matching_service.api.deps import AdminPrincipal, ContextDep
from matching_service.api.schemas import (
    AssignmentPublic,
    CohortCreate,
    CohortPublic,
    FeedbackPublic,
    RebuildPublic,
    StatsPublic,
    WeekPublic,
)
from matching_service.domain.availability import MentorAvailability
from matching_service.domain.commands import RequestMatch
from matching_service.domain.model import PairHistory
from matching_service.domain.reports import COLUMNS, report_rows
from matching_service.service import handlers
from matching_service.service.cohorts import plan_cohort
from mentor_shared.web.errors import error_responses

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/index/rebuild", responses=error_responses(401, 403))
async def rebuild_index(principal: AdminPrincipal, context: ContextDep) -> RebuildPublic:
    """Rebuild the index from the stored profiles and swap it in."""
    report = await context.index.rebuild(context.read_model.all_profiles)
    totals = context.index.matcher.status()
    return RebuildPublic(
        profiles=totals.profiles,
        offers=totals.offers,
        seeks=totals.seeks,
        seconds=round(report.seconds, 3),
    )


@router.post("/cohorts", responses=error_responses(401, 403, 409))
async def cohorts(
    body: CohortCreate, principal: AdminPrincipal, context: ContextDep
) -> CohortPublic:
    """The assignment with the best total score under hard filters and capacities."""
    mentee_ids = list(dict.fromkeys(body.mentee_ids))
    mentor_ids = list(dict.fromkeys(body.mentor_ids))
    history = PairHistory(loads=await context.exact_loads())
    stored = await context.read_model.profiles_by_id(mentor_ids)
    today = context.deps.clock().date()
    capacities = {
        mentor_id: MentorAvailability.of(
            profile, history.load_of(mentor_id).active_matches
        ).places_left(today)
        for mentor_id, profile in stored.items()
    }
    # Pairs that already have a request or a decline, or a withdrawal or expiry within
    # the re-request wait, are kept apart, mentee by mentee.
    refused_since = context.deps.clock() - context.deps.policy.rerequest_after
    excluded: set[tuple[str, str]] = set()
    for mentee_id in mentee_ids:
        mine = await context.read_model.partners(mentee_id, "mentor", refused_since=refused_since)
        excluded.update((mentee_id, other) for other in mine)
    matcher = context.index.matcher
    result = await asyncio.to_thread(
        plan_cohort, matcher, mentee_ids, mentor_ids, history, capacities, frozenset(excluded)
    )
    assignments: list[AssignmentPublic] = []
    for assignment in result.assignments:
        match_id: str | None = None
        if body.create_requests:
            match = await handlers.request_match(
                RequestMatch(
                    mentee_id=assignment.mentee_id,
                    mentor_id=assignment.mentor_id,
                    message="Proposed by your programme's cohort matching",
                ),
                context.uow(),
                context.deps,
            )
            match_id = match.id
        assignments.append(
            AssignmentPublic(
                mentee_id=assignment.mentee_id,
                mentor_id=assignment.mentor_id,
                score=assignment.score,
                reasons=list(assignment.reasons),
                match_id=match_id,
            )
        )
    return CohortPublic(assignments=assignments, unassigned=result.unassigned)


@router.get("/stats/matching", responses=error_responses(401, 403))
async def stats(principal: AdminPrincipal, context: ContextDep) -> StatsPublic:
    """Weekly requests and acceptances by the mentee's department, and feedback."""
    weekly = await context.read_model.weekly()
    feedback = await context.read_model.feedback()
    return StatsPublic(
        weekly=[
            WeekPublic(
                week=w.week, department=w.department, requests=w.requests, accepted=w.accepted
            )
            for w in weekly
        ],
        feedback=FeedbackPublic(count=feedback.count, mean_rating=feedback.mean_rating),
    )


@router.get(
    "/reports/matches.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report as CSV"},
        **error_responses(401, 403),
    },
)
async def matches_report(principal: AdminPrincipal, context: ContextDep) -> Response:
    """Requests, acceptances, declines, expiries, endings and the median time to answer,
    by month x department x profession x grade band (the mentee's), as CSV.

    Counts from 1 to 4 are shown as ``<5``; a row of fewer than five different mentees
    shows ``<5`` in every count and no median; there are no totals, so nothing
    suppressed can be worked out from the rest (``matching_service.domain.reports``).
    """
    rows = report_rows(await context.read_model.request_facts())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="matches.csv"',
            "Cache-Control": "no-store",
        },
    )
