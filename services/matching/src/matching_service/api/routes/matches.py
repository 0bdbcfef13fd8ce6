"""Match requests and their lifecycle.

Acting on someone else's match answers 404 (its existence is not revealed); the
other participant of the match doing the wrong person's action gets 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, status

from matching_service.api.deps import ContextDep, CurrentPrincipal
from matching_service.api.schemas import (
    CardPublic,
    DeclineBody,
    DeclineOpenBody,
    EndBody,
    MatchCreate,
    MatchPublic,
)
from matching_service.domain.commands import AnswerMatch, DeclineOpenRequests, RequestMatch
from matching_service.domain.matches import Match
from matching_service.service import handlers
from matching_service.service.handlers import MatchDeps
from matching_service.service.ports import MatchingUnitOfWork
from mentor_shared.limits import Limit, enforce
from mentor_shared.storage.conflicts import retry_on_conflict
from mentor_shared.web.errors import error_responses

router = APIRouter(prefix="/v1/matches", tags=["matches"])

Handler = Callable[[AnswerMatch, MatchingUnitOfWork, MatchDeps], Awaitable[Match]]

DAY_S = 86_400.0


def requests_per_day(count: int) -> Limit:
    """The per-account limit on match requests (attempts, successful or not)."""
    return Limit(name="match_requests", count=count, window_s=DAY_S)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 422, 429),
)
async def request_match(
    body: MatchCreate, principal: CurrentPrincipal, context: ContextDep
) -> MatchPublic:
    """Ask a mentor or coach for an introduction (at most three open requests).

    409 ``rerequest_too_soon`` (with ``details.allowed_from``) when the mentee asked
    this person before and was declined, withdrew or let it expire less than
    ``REREQUEST_AFTER_DAYS`` ago; 409 ``mentor_paused`` (with ``details.paused_until``)
    while the mentor or coach has paused new requests; 429 ``rate_limited`` (``Retry-After``) past
    ``MATCH_REQUESTS_PER_DAY`` attempts by one account.
    """
    # Counted in the store (every replica shares it), before and outside the write.
    await enforce(
        context.limiter,
        requests_per_day(context.settings.match_requests_per_day),
        principal.id,
        message="You have made too many requests today; try again later",
    )
    command = RequestMatch(
        mentee_id=principal.id, mentor_id=body.mentor_id, message=body.message, role=body.role
    )
    match = await retry_on_conflict(
        lambda: handlers.request_match(command, context.uow(), context.deps)
    )
    return MatchPublic.of(match)


async def _answer(context: ContextDep, handler: Handler, command: AnswerMatch) -> MatchPublic:
    match = await retry_on_conflict(lambda: handler(command, context.uow(), context.deps))
    return MatchPublic.of(match)


@router.post("/{match_id}/accept", responses=error_responses(401, 403, 404, 409))
async def accept(match_id: str, principal: CurrentPrincipal, context: ContextDep) -> MatchPublic:
    """The mentor or coach accepts (capacity re-checked)."""
    return await _answer(context, handlers.accept_match, AnswerMatch(match_id, principal.id))


@router.post("/{match_id}/decline", responses=error_responses(401, 403, 404, 409))
async def decline(
    match_id: str,
    principal: CurrentPrincipal,
    context: ContextDep,
    body: DeclineBody | None = None,
) -> MatchPublic:
    """The mentor or coach declines."""
    reason = body.reason if body else None
    return await _answer(
        context, handlers.decline_match, AnswerMatch(match_id, principal.id, reason=reason)
    )


@router.post("/decline-open", responses=error_responses(401, 403, 409, 422))
async def decline_open(
    principal: CurrentPrincipal, context: ContextDep, body: DeclineOpenBody | None = None
) -> list[MatchPublic]:
    """The mentor or coach declines every request still waiting for them, with one message.

    Meant for the moment they pause new requests (``paused_until`` on their profile).
    Returns the declined requests (an empty list when none was waiting); 403
    ``not_a_mentor`` when the caller neither mentors nor coaches; 409
    ``profile_not_indexed`` when matching holds no profile for them yet.
    """
    command = DeclineOpenRequests(principal.id, reason=body.message if body else None)
    declined = await retry_on_conflict(
        lambda: handlers.decline_open_requests(command, context.uow(), context.deps)
    )
    return [MatchPublic.of(match) for match in declined]


@router.post("/{match_id}/withdraw", responses=error_responses(401, 403, 404, 409))
async def withdraw(match_id: str, principal: CurrentPrincipal, context: ContextDep) -> MatchPublic:
    """The mentee withdraws a waiting request."""
    return await _answer(context, handlers.withdraw_match, AnswerMatch(match_id, principal.id))


@router.post("/{match_id}/end", responses=error_responses(401, 404, 409))
async def end(
    match_id: str,
    principal: CurrentPrincipal,
    context: ContextDep,
    body: EndBody | None = None,
) -> MatchPublic:
    """Either person ends an accepted match, optionally with feedback."""
    command = AnswerMatch(
        match_id,
        principal.id,
        rating=body.rating if body else None,
        comment=body.comment if body else None,
    )
    return await _answer(context, handlers.end_match, command)


@router.get("", responses=error_responses(401))
async def list_matches(principal: CurrentPrincipal, context: ContextDep) -> list[MatchPublic]:
    """The caller's matches, newest first, each with the other person's card."""
    matches = await context.read_model.matches_of(principal.id)
    others = await context.read_model.profiles_by_id([m.other(principal.id) for m in matches])
    return [
        MatchPublic.of(match, CardPublic.of(others.get(match.other(principal.id)), reveal=True))
        for match in matches
    ]
