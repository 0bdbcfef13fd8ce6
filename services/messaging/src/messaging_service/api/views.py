"""Turning domain objects into response bodies, and the participants-only check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from mentor_shared.auth import Principal
from mentor_shared.calendar import CalendarSession
from messaging_service.api.schemas import (
    MessagePublic,
    ParticipantPublic,
    PlanActionPublic,
    PlanPublic,
    SessionNotePublic,
    SessionPublic,
)
from messaging_service.domain.model import (
    Conversation,
    ConversationSummary,
    Message,
    Person,
    Session,
    require_participant,
    require_session,
    visible_name,
)
from messaging_service.domain.plan import Plan, SessionNote
from messaging_service.service.ports import MessagingReadModel

DELETED_MESSAGE_PLACEHOLDER = "Message from a deleted account"
SESSION_SUMMARY = "Mentoring session (Mentor Match)"


async def participant_conversation(
    read_model: MessagingReadModel, conversation_id: str, principal: Principal
) -> Conversation:
    """The conversation if the caller is one of its two people, else 404.

    Administrators get the same 404 as anyone else: nobody but the two
    participants may learn that a conversation exists.
    """
    return require_participant(await read_model.conversation(conversation_id), principal.id)


async def participant_session(
    read_model: MessagingReadModel, conversation_id: str, session_id: str, principal: Principal
) -> Session:
    """A session of the caller's conversation, else 404 (for the conversation or the session)."""
    await participant_conversation(read_model, conversation_id, principal)
    return require_session(await read_model.session(conversation_id, session_id))


async def conversations_with_people(
    read_model: MessagingReadModel, person_id: str
) -> tuple[list[ConversationSummary], dict[str, Person]]:
    """``person_id``'s conversations, newest activity first, and the other people in them."""
    summaries = await read_model.conversations_of(person_id)
    others = {s.conversation.other_participant(person_id) for s in summaries}
    return summaries, await read_model.people(o for o in others if o is not None)


def other_participant_public(
    conversation: Conversation, viewer_id: str, people: Mapping[str, Person]
) -> ParticipantPublic:
    """The other person of ``viewer_id``'s conversation, named as the viewer may see them."""
    other_id = conversation.other_participant(viewer_id)
    name = visible_name(
        people.get(other_id) if other_id else None,
        shares_conversation=True,
        erased=other_id is None,
    )
    return ParticipantPublic(id=other_id, display_name=name)


def message_public(message: Message) -> MessagePublic:
    """A message as clients see it."""
    public = MessagePublic.model_validate(message, from_attributes=True)
    if message.deleted:
        public.deleted_placeholder = DELETED_MESSAGE_PLACEHOLDER
    return public


def session_public(session: Session) -> SessionPublic:
    """A session as clients see it."""
    ics_url = (
        f"/v1/conversations/{session.conversation_id}/sessions/{session.id}.ics"
        if session.has_invite
        else None
    )
    return SessionPublic.model_validate(
        {**asdict(session), "ends_at": session.ends_at, "ics_url": ics_url}
    )


def session_calendar_entry(session: Session) -> CalendarSession:
    """What the session's calendar entry says; an online-only session's link is its place."""
    return CalendarSession(
        session_id=session.id,
        starts_at=session.starts_at,
        duration_minutes=session.duration_minutes,
        sequence=session.sequence,
        summary=SESSION_SUMMARY,
        cancelled=session.status == "cancelled",
        location=session.location or session.online_link,
        url=session.online_link,
    )


def plan_public(plan: Plan, conversation: Conversation) -> PlanPublic:
    """A plan as clients see it."""
    return PlanPublic(
        conversation_id=plan.conversation_id,
        version=plan.version,
        goals=list(plan.goals),
        actions=[PlanActionPublic.model_validate(a, from_attributes=True) for a in plan.actions],
        updated_at=plan.updated_at,
        updated_by=plan.updated_by,
        editable=conversation.status == "active",
    )


def note_public(session_id: str, note: SessionNote | None) -> SessionNotePublic:
    """The caller's notes on a session (empty when they wrote none)."""
    return SessionNotePublic(
        session_id=session_id,
        body=note.body if note else "",
        updated_at=note.updated_at if note else None,
    )
