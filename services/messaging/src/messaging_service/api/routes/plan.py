"""The shared plan of an accepted match, and each person's private session notes."""

from __future__ import annotations

from fastapi import APIRouter

from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses
from messaging_service.api.deps import ContextDep, CurrentPrincipal
from messaging_service.api.schemas import (
    PlanPublic,
    PlanUpdate,
    SessionNotePublic,
    SessionNoteUpdate,
)
from messaging_service.api.views import (
    note_public,
    participant_conversation,
    participant_session,
    plan_public,
)
from messaging_service.domain.commands import RevisePlan, WriteSessionNote
from messaging_service.domain.plan import Plan, PlanAction, require_plan_readable
from messaging_service.service import handlers

router = APIRouter(prefix="/v1/conversations/{conversation_id}", tags=["plan"])


@router.get("/plan", response_model=PlanPublic, responses=error_responses(401, 404, 409))
async def read_plan(
    conversation_id: str, principal: CurrentPrincipal, ctx: ContextDep
) -> PlanPublic:
    """The shared plan; until someone saves it, version 0 with the mentee's profile goals.

    409 ``match_not_accepted`` while the match is only a request (or never was accepted).
    """
    conversation = await participant_conversation(ctx.read_model, conversation_id, principal)
    require_plan_readable(conversation)
    plan = await ctx.read_model.plan(conversation.id)
    if plan is None:
        mentee = conversation.mentee_id
        people = await ctx.read_model.people([mentee] if mentee else [])
        goals = list(people[mentee].goals) if mentee in people else []
        plan = Plan.prefilled(conversation.id, goals)
    return plan_public(plan, conversation)


@router.put("/plan", response_model=PlanPublic, responses=error_responses(401, 404, 409, 422))
async def revise_plan(
    conversation_id: str, body: PlanUpdate, principal: CurrentPrincipal, ctx: ContextDep
) -> PlanPublic:
    """Save goals and actions, either person; ``version`` is the one read.

    A stale version gets 409 ``plan_version_conflict`` with ``details.current_version``.
    """
    plan = await handlers.revise_plan(
        RevisePlan(
            conversation_id=conversation_id,
            editor_id=principal.id,
            based_on=body.version,
            goals=list(body.goals),
            actions=[
                PlanAction(id=a.id or "", text=a.text, owner=a.owner, due_on=a.due_on, done=a.done)
                for a in body.actions
            ],
        ),
        ctx.uow(),
        now=utc_now(),
    )
    conversation = await participant_conversation(ctx.read_model, conversation_id, principal)
    return plan_public(plan, conversation)


@router.get(
    "/sessions/{session_id}/notes",
    response_model=SessionNotePublic,
    responses=error_responses(401, 404),
)
async def read_session_notes(
    conversation_id: str, session_id: str, principal: CurrentPrincipal, ctx: ContextDep
) -> SessionNotePublic:
    """The caller's own notes on the session (empty if none); the other person's never show."""
    await participant_session(ctx.read_model, conversation_id, session_id, principal)
    return note_public(session_id, await ctx.read_model.session_note(session_id, principal.id))


@router.put(
    "/sessions/{session_id}/notes",
    response_model=SessionNotePublic,
    responses=error_responses(401, 404, 422),
)
async def write_session_notes(
    conversation_id: str,
    session_id: str,
    body: SessionNoteUpdate,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> SessionNotePublic:
    """Replace the caller's private notes on the session (an empty body clears them)."""
    note = await handlers.write_session_note(
        WriteSessionNote(
            conversation_id=conversation_id,
            session_id=session_id,
            author_id=principal.id,
            body=body.body,
        ),
        ctx.uow(),
        now=utc_now(),
    )
    return note_public(session_id, note)
