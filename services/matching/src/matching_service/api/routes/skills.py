"""The skills vocabulary and skill suggestions for profile text."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import (
    SkillGroupPublic,
    SkillPublic,
    SkillSuggestCreate,
    SkillSuggestionPublic,
    SkillVocabularyPublic,
)
from mentor_shared.web.errors import error_responses

router = APIRouter(prefix="/v1", tags=["skills"])


@router.get("/skills", responses=error_responses(401))
async def skills(principal: CurrentPrincipal, context: ContextDep) -> SkillVocabularyPublic:
    """Every skill a profile may list in ``skills_offered`` and ``skills_sought``."""
    vocabulary = context.skills.vocabulary
    return SkillVocabularyPublic(
        version=vocabulary.version,
        groups=[SkillGroupPublic(id=group.id, name=group.name) for group in vocabulary.groups],
        skills=[
            SkillPublic(id=skill.id, name=skill.name, group=skill.group)
            for skill in vocabulary.skills
        ],
    )


@router.post("/skills/suggest", responses=error_responses(401, 422))
async def suggest_skills(
    body: SkillSuggestCreate, principal: CurrentPrincipal, context: ContextDep
) -> list[SkillSuggestionPublic]:
    """Skills we think a text is about ("We think you can help with: ..."), for the person
    to confirm or correct; nothing is stored. The text is read as matching reads that
    side: its offers (side ``offered``) or goals (``sought``), so where it states one, a
    self-description or a preference suggests nothing."""
    found = await asyncio.to_thread(context.skills.suggest, body.text, body.side)
    return [SkillSuggestionPublic(id=skill.id, name=skill.name) for skill in found]
