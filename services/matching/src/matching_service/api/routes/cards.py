"""One person's card, as suggestions and search show it (for a person's page)."""

from __future__ import annotations

from fastapi import APIRouter

from matching_service.api.cards import cards_for
from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import CardPublic
from mentor_shared.web.errors import NotFound, error_responses

router = APIRouter(prefix="/v1/cards", tags=["suggestions"])


@router.get("/{profile_id}", responses=error_responses(401, 404))
async def card(profile_id: str, principal: CurrentPrincipal, context: ContextDep) -> CardPublic:
    """Someone's card with their responsiveness (``usual_reply_days``, ``last_active``).

    The same card suggestions, search and the shortlist show, under the same anonymity
    rule: an anonymous person's card shows initials, department and grade only, and no
    responsiveness (their own card is shown to them in full). Matching holds only
    people whose address is confirmed, so an unconfirmed, erased or unknown id is the
    same 404 ``profile_not_found``.
    """
    profiles = await context.read_model.profiles_by_id([profile_id])
    cards = await cards_for(
        context.read_model, profiles, [profile_id], reveal={principal.id} & {profile_id}
    )
    found = cards.get(profile_id)
    if found is None:
        raise NotFound("No such person", code="profile_not_found")
    return found
