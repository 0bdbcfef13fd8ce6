"""The caller's shortlist: people saved for later.

At most 50 people. Someone who stops taking requests stays on the list, marked
``taking_requests: false``; someone who erases their account leaves every list.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from matching_service.api.cards import cards_for
from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import CardPublic, SavedPublic
from matching_service.bootstrap import MatchingContext
from matching_service.domain.availability import MentorAvailability
from matching_service.domain.commands import SavePerson
from matching_service.domain.shortlist import SavedPerson
from matching_service.service import handlers
from mentor_shared.clock import utc_now
from mentor_shared.storage.conflicts import retry_on_conflict
from mentor_shared.web.errors import error_responses

router = APIRouter(prefix="/v1/shortlist", tags=["shortlist"])


async def _public(
    context: MatchingContext, owner_id: str, entries: list[SavedPerson]
) -> list[SavedPublic]:
    read = context.read_model
    ids = [entry.profile_id for entry in entries]
    profiles = await read.profiles_by_id(ids)
    cards = await cards_for(read, profiles, ids)
    # The mentors' loads as suggestions read them (shared for a few seconds).
    history = await context.pair_history(owner_id, "mentor")
    today = utc_now().date()
    result: list[SavedPublic] = []
    for entry in entries:
        profile = profiles.get(entry.profile_id)
        if profile is None:
            # Erasure removes entries with the person; nothing else leaves matching.
            result.append(
                SavedPublic(
                    profile_id=entry.profile_id,
                    saved_at=entry.saved_at,
                    card=CardPublic.of(None),
                    taking_requests=False,
                    paused_until=None,
                )
            )
            continue
        availability = MentorAvailability.of(
            profile, history.load_of(profile.profile_id).active_matches
        )
        paused = availability.paused_on(today)
        taking = (profile.roles.mentor or profile.roles.coach) and availability.can_take(today)
        result.append(
            SavedPublic(
                profile_id=entry.profile_id,
                saved_at=entry.saved_at,
                card=cards[entry.profile_id],
                taking_requests=taking,
                paused_until=profile.paused_until if paused else None,
            )
        )
    return result


@router.get("", responses=error_responses(401))
async def shortlist(principal: CurrentPrincipal, context: ContextDep) -> list[SavedPublic]:
    """The caller's saved people, most recently saved first (anonymity rule on cards)."""
    entries = await context.read_model.shortlist_of(principal.id)
    return await _public(context, principal.id, entries)


@router.put("/{profile_id}", responses=error_responses(401, 404, 409, 422))
async def save(profile_id: str, principal: CurrentPrincipal, context: ContextDep) -> SavedPublic:
    """Save someone for later (saving them again changes nothing).

    422 ``cannot_save_self``; 404 ``profile_not_found`` for an id matching does not hold;
    409 ``shortlist_full`` past 50 people.
    """
    command = SavePerson(owner_id=principal.id, profile_id=profile_id)
    saved = await retry_on_conflict(
        lambda: handlers.save_person(command, context.uow(), context.deps)
    )
    return (await _public(context, principal.id, [saved]))[0]


@router.delete(
    "/{profile_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404),
)
async def unsave(profile_id: str, principal: CurrentPrincipal, context: ContextDep) -> Response:
    """Take someone off the caller's list; 404 ``not_saved`` when they are not on it."""
    command = SavePerson(owner_id=principal.id, profile_id=profile_id)
    await retry_on_conflict(lambda: handlers.unsave_person(command, context.uow()))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
