"""Suggestions and free-text search."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from matching_service.api.cards import cards_for
from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import Role, SearchCreate, SuggestionPublic
from matching_service.bootstrap import MatchingContext
from matching_service.domain.errors import UnknownProfile
from matching_service.domain.model import SuggestionQuery
from matching_service.domain.ranking import Suggestion
from mentor_shared.web.errors import Conflict, error_responses

router = APIRouter(prefix="/v1", tags=["suggestions"])


async def _cards(context: MatchingContext, found: list[Suggestion]) -> list[SuggestionPublic]:
    ids = [s.profile_id for s in found]
    profiles = await context.read_model.profiles_by_id(ids)
    cards = await cards_for(context.read_model, profiles, ids)
    return [
        SuggestionPublic(
            profile_id=s.profile_id,
            score=round(s.score, 4),
            reasons=list(s.reasons),
            card=cards[s.profile_id],
        )
        for s in found
        # A profile deleted between the search and this read is left out.
        if s.profile_id in cards
    ]


@router.get("/suggestions", responses=error_responses(401, 409))
async def suggestions(
    principal: CurrentPrincipal,
    context: ContextDep,
    role: Role = "mentor",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    department: str | None = None,
    exclude_own_department: bool = False,
    min_grade: str | None = None,
    region: str | None = None,
    any_grade: bool = False,
) -> list[SuggestionPublic]:
    """Ranked, explained suggestions for the caller (their profile must be indexed)."""
    query = SuggestionQuery(
        role=role,
        department=department,
        exclude_own_department=exclude_own_department,
        min_grade=min_grade,
        region=region,
        allow_any_grade=any_grade,
        limit=limit,
    )
    history = await context.pair_history(principal.id, role)
    matcher = context.index.matcher
    try:
        found = await asyncio.to_thread(matcher.suggest, principal.id, query, history)
    except UnknownProfile as exc:
        raise Conflict(
            "Your profile is not indexed yet; try again in a moment",
            code="profile_not_indexed",
        ) from exc
    return await _cards(context, found)


@router.post("/search", responses=error_responses(401, 422))
async def search(
    body: SearchCreate, principal: CurrentPrincipal, context: ContextDep
) -> list[SuggestionPublic]:
    """Free-text semantic search among people playing ``role``."""
    query = SuggestionQuery(
        role=body.role,
        department=body.filters.department,
        exclude_own_department=body.filters.exclude_own_department,
        min_grade=body.filters.min_grade,
        region=body.filters.region,
        limit=body.limit,
    )
    history = await context.pair_history(principal.id, body.role)
    matcher = context.index.matcher
    found = await asyncio.to_thread(
        lambda: matcher.search_text(body.text, query, history, asker_id=principal.id)
    )
    return await _cards(context, found)
