"""The caller's copy of what the messaging service holds about them."""

from __future__ import annotations

from fastapi import APIRouter

from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses
from messaging_service.api.deps import ContextDep, CurrentPrincipal
from messaging_service.api.schemas import (
    ConversationExport,
    MessagingExport,
    ReportExport,
)
from messaging_service.api.views import (
    conversations_with_people,
    message_public,
    note_public,
    other_participant_public,
    plan_public,
    session_public,
)
from messaging_service.domain.model import Message
from messaging_service.service.ports import MessagingReadModel

router = APIRouter(prefix="/v1/me", tags=["export"])

# Messages are read in pages of this many, so one long conversation is not one query.
_PAGE = 1000


async def _all_messages(read_model: MessagingReadModel, conversation_id: str) -> list[Message]:
    messages: list[Message] = []
    after = 0
    while True:
        page = await read_model.messages_after(conversation_id, after, _PAGE)
        messages.extend(page)
        if len(page) < _PAGE:
            return messages
        after = page[-1].seq


@router.get("/export/messaging", response_model=MessagingExport, responses=error_responses(401))
async def export_me(principal: CurrentPrincipal, ctx: ContextDep) -> MessagingExport:
    """The caller's conversations with every message and session, the shared plan and the
    caller's own session notes, and the reports they made.

    Other people appear only as the caller already sees them: the other
    participant's id and the name the conversation list shows, and the
    messages of conversations the caller is in.
    """
    me = principal.id
    summaries, people = await conversations_with_people(ctx.read_model, me)
    marks = await ctx.read_model.read_marks_of(me)
    notes = await ctx.read_model.session_notes_by(me)
    conversations = []
    for summary in summaries:
        c = summary.conversation
        plan = await ctx.read_model.plan(c.id)
        conversations.append(
            ConversationExport(
                id=c.id,
                match_id=c.match_id,
                role="mentee" if c.mentee_id == me else "mentor",
                status=c.status,
                closed_reason=c.closed_reason,
                other_participant=other_participant_public(c, me, people),
                created_at=c.created_at,
                last_activity_at=c.last_activity_at,
                last_read_seq=marks.get(c.id, 0),
                messages=[message_public(m) for m in await _all_messages(ctx.read_model, c.id)],
                sessions=[session_public(s) for s in await ctx.read_model.sessions(c.id)],
                plan=plan_public(plan, c) if plan else None,
                session_notes=[
                    note_public(n.session_id, n) for n in notes if n.conversation_id == c.id
                ],
            )
        )
    reports = [
        ReportExport.model_validate(r, from_attributes=True)
        for r in await ctx.read_model.reports_by(me)
    ]
    return MessagingExport(
        person_id=me,
        exported_at=utc_now(),
        conversations=conversations,
        reports=reports,
    )
