"""Sessions of an accepted match, and their iCalendar invites."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Response, status
from starlette.convertors import StringConvertor, register_url_convertor

from mentor_shared.calendar import content_type, session_calendar
from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses
from messaging_service.api.deps import ContextDep, CurrentPrincipal
from messaging_service.api.schemas import (
    SeriesCreate,
    SessionActionName,
    SessionCreate,
    SessionList,
    SessionPublic,
)
from messaging_service.api.views import (
    participant_conversation,
    participant_session,
    session_calendar_entry,
    session_public,
)
from messaging_service.domain.commands import ChangeSession, PlanSeries, ProposeSession
from messaging_service.domain.errors import SessionNotConfirmed
from messaging_service.service import handlers

router = APIRouter(prefix="/v1/conversations/{conversation_id}/sessions", tags=["sessions"])


@router.get("", response_model=SessionList, responses=error_responses(401, 404))
async def list_sessions(
    conversation_id: str, principal: CurrentPrincipal, ctx: ContextDep
) -> SessionList:
    """The conversation's sessions by start time."""
    await participant_conversation(ctx.read_model, conversation_id, principal)
    sessions = await ctx.read_model.sessions(conversation_id)
    return SessionList(items=[session_public(s) for s in sessions])


@router.post(
    "",
    response_model=SessionPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 422),
)
async def propose_session(
    conversation_id: str, body: SessionCreate, principal: CurrentPrincipal, ctx: ContextDep
) -> SessionPublic:
    """Propose a session (409 unless the match is accepted); the other person accepts it."""
    session = await handlers.propose_session(
        ProposeSession(
            conversation_id=conversation_id,
            proposer_id=principal.id,
            starts_at=body.starts_at,
            duration_minutes=body.duration_minutes,
            location=body.location,
            online_link=body.online_link_text,
        ),
        ctx.uow(),
        now=utc_now(),
    )
    return session_public(session)


@router.post(
    "/series",
    response_model=SessionList,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 422),
)
async def plan_series(
    conversation_id: str, body: SeriesCreate, principal: CurrentPrincipal, ctx: ContextDep
) -> SessionList:
    """Plan a series: six one-hour sessions three weeks apart, each to be accepted."""
    sessions = await handlers.plan_series(
        PlanSeries(
            conversation_id=conversation_id,
            proposer_id=principal.id,
            first_starts_at=body.starts_at,
            location=body.location,
            online_link=body.online_link_text,
        ),
        ctx.uow(),
        now=utc_now(),
    )
    return SessionList(items=[session_public(s) for s in sessions])


@router.get(
    "/{session_id}.ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "iCalendar invite"},
        **error_responses(401, 404, 409),
    },
)
async def session_ics(
    conversation_id: str, session_id: str, principal: CurrentPrincipal, ctx: ContextDep
) -> Response:
    """The iCalendar invite of a confirmed (or since cancelled) session."""
    # METHOD:PUBLISH while the session stands; once cancelled, METHOD:CANCEL with
    # STATUS:CANCELLED and the same UID, which removes the entry (RFC 5546). The
    # notifications service emails the same document, so both copies agree.
    session = await participant_session(ctx.read_model, conversation_id, session_id, principal)
    if not session.has_invite:
        raise SessionNotConfirmed()
    entry = session_calendar_entry(session)
    return Response(
        content=session_calendar(entry, stamped_at=utc_now()),
        media_type=content_type(entry.method),
        headers={"Content-Disposition": f'attachment; filename="session-{session.id}.ics"'},
    )


class _SessionActionConvertor(StringConvertor):
    """Matches only the action names, so other paths under a session (``/notes``)
    reach their own routes and answer 405 for a method they do not have."""

    regex = "|".join(get_args(SessionActionName))


register_url_convertor("session_action", _SessionActionConvertor())


@router.post(
    "/{session_id}/{action:session_action}",
    response_model=SessionPublic,
    responses=error_responses(401, 404, 409),
)
async def change_session(
    conversation_id: str,
    session_id: str,
    action: SessionActionName,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> SessionPublic:
    """``accept`` or ``decline`` (the other person), ``cancel``, or ``held`` once started."""
    session = await handlers.change_session(
        ChangeSession(
            conversation_id=conversation_id,
            session_id=session_id,
            actor_id=principal.id,
            action=action,
        ),
        ctx.uow(),
        now=utc_now(),
    )
    return session_public(session)
