"""Suggestions and free-text search."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from matching_service.api.cards import cards_for
from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import (
    Role,
    SearchCreate,
    SuggestedFilterPublic,
    SuggestedFiltersPublic,
    SuggestionPublic,
)
from matching_service.bootstrap import MatchingContext
from matching_service.domain.errors import ProfileNotIndexed
from matching_service.domain.model import SuggestionQuery
from matching_service.domain.ranking import Suggestion
from matching_service.domain.suggested_filters import is_applied, suggested_filters
from mentor_shared.web.errors import error_responses

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


def _filters_query(
    role: Role = "mentor",
    department: str | None = None,
    exclude_own_department: bool = False,
    min_grade: str | None = None,
    region: str | None = None,
    accept_remote: bool = True,
) -> SuggestionQuery:
    """The filters of ``GET /v1/suggestions``, which ``GET /v1/suggestions/filters`` takes too."""
    return SuggestionQuery(
        role=role,
        department=department,
        exclude_own_department=exclude_own_department,
        min_grade=min_grade,
        region=region,
        accept_remote=accept_remote,
    )


FiltersQuery = Annotated[SuggestionQuery, Depends(_filters_query)]


def _search_query(body: SearchCreate) -> SuggestionQuery:
    """The query of a free-text search: its body's filters are those of the GET."""
    return replace(_filters_query(body.role, **body.filters.model_dump()), limit=body.limit)


@router.get("/suggestions", responses=error_responses(401, 409))
async def suggestions(
    principal: CurrentPrincipal,
    context: ContextDep,
    filters: FiltersQuery,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    any_grade: bool = False,
    profession: Annotated[
        str | None,
        Query(
            max_length=100,
            description="A profession code the caller prefers: people in it rank higher "
            "among equally good matches (not a filter). Without it profession does not "
            "count.",
        ),
    ] = None,
) -> list[SuggestionPublic]:
    """Ranked, explained suggestions for the caller (their profile must be indexed).

    Filters the caller's own goals ask for are offered by ``GET /v1/suggestions/filters``.
    """
    query = replace(filters, allow_any_grade=any_grade, limit=limit, profession=profession)
    history = await context.pair_history(principal.id, query.role)
    matcher = context.index.matcher
    found = await asyncio.to_thread(matcher.suggest, principal.id, query, history)
    return await _cards(context, found)


@router.post("/search", responses=error_responses(401, 422))
async def search(
    body: SearchCreate, principal: CurrentPrincipal, context: ContextDep
) -> list[SuggestionPublic]:
    """Free-text semantic search among people playing ``role``.

    Filters the text asks for are offered by ``POST /v1/search/filters``.
    """
    query = _search_query(body)
    history = await context.pair_history(principal.id, body.role)
    matcher = context.index.matcher
    found = await asyncio.to_thread(
        lambda: matcher.search_text(body.text, query, history, asker_id=principal.id)
    )
    return await _cards(context, found)


def _offered(texts: list[str], query: SuggestionQuery) -> SuggestedFiltersPublic:
    found = suggested_filters(texts)
    return SuggestedFiltersPublic(
        suggested_filters=[
            SuggestedFilterPublic(
                filter=item.filter,
                value=item.value,
                label=item.label,
                applied=is_applied(item, query),
                evidence=item.evidence,
            )
            for item in found
        ]
    )


@router.get("/suggestions/filters", responses=error_responses(401, 409))
async def suggestion_filters(
    principal: CurrentPrincipal, context: ContextDep, filters: FiltersQuery
) -> SuggestedFiltersPublic:
    """Filters the caller's own goals ask for ("ideally someone outside my department").

    Takes the filters of ``GET /v1/suggestions``; each suggestion says whether they
    already apply it. Read from the caller's goals text and goal items; nothing is
    applied to ``GET /v1/suggestions`` unless the caller sends the filter.
    """
    profile = context.index.matcher.profile(principal.id)
    if profile is None:
        raise ProfileNotIndexed(principal.id)
    return _offered([profile.goals_text, *profile.goals], filters)


@router.post("/search/filters", responses=error_responses(401, 422))
async def search_filters(body: SearchCreate, principal: CurrentPrincipal) -> SuggestedFiltersPublic:
    """Filters a search text asks for ("someone based in Scotland"), with the body of
    ``POST /v1/search``; each says whether the body's filters already apply it."""
    return _offered([body.text], _search_query(body))
