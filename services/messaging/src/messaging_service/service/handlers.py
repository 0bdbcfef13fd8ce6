"""Command handlers of the messaging service.

Handlers for HTTP commands open the unit of work as one of the conversation's
two people (``_as_participant``), apply the domain rules and queue their events
(outbox only); the unit of work commits as their block ends. Handlers for consumed events
(:func:`open_conversation`, :func:`activate_conversation`,
:func:`close_conversation`, :func:`record_person`, :func:`erase_person`) run
inside the consumer's already open unit of work, which records the inbox entry
and commits.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import structlog

from mentor_shared.events import new_event
from mentor_shared.events.schemas import MessageSent, SessionScheduled
from messaging_service.domain import model
from messaging_service.domain.commands import (
    ActivateConversation,
    ChangeSession,
    CloseConversation,
    ErasePerson,
    MarkRead,
    OpenConversation,
    PlanSeries,
    ProposeSession,
    RecordPerson,
    ReportMessage,
    RevisePlan,
    SendMessage,
    WriteSessionNote,
)
from messaging_service.domain.errors import (
    InvalidMessage,
    MessageNotFound,
    PlanVersionConflict,
)
from messaging_service.domain.model import Conversation, Message, Report, Session
from messaging_service.domain.plan import Plan, SessionNote, write_note
from messaging_service.service.ports import MessagingUnitOfWork

log = structlog.get_logger(__name__)

SOURCE = "messaging"


@asynccontextmanager
async def _as_participant(
    uow: MessagingUnitOfWork, conversation_id: str, person_id: str
) -> AsyncIterator[Conversation]:
    """The unit of work of an HTTP command by one of a conversation's two people.

    Opens ``uow`` and yields the conversation (else ConversationNotFound); the
    block's changes commit when it ends without an error, and roll back otherwise.
    """
    async with uow:
        yield model.require_participant(await uow.conversations.get(conversation_id), person_id)
        await uow.commit()


async def _message_in(
    uow: MessagingUnitOfWork, conversation: Conversation, message_id: str
) -> Message:
    message = await uow.messages.get(conversation.id, message_id)
    if message is None:
        raise MessageNotFound()
    return message


async def _session_in(
    uow: MessagingUnitOfWork, conversation: Conversation, session_id: str
) -> Session:
    return model.require_session(await uow.sessions.get(conversation.id, session_id))


def _queue_message_sent(
    uow: MessagingUnitOfWork, conversation: Conversation, message: Message
) -> None:
    assert message.sender_id is not None
    recipient = conversation.other_participant(message.sender_id)
    assert recipient is not None  # a closed conversation takes no message
    uow.add_event(
        new_event(
            MessageSent(
                conversation_id=conversation.id,
                message_id=message.id,
                sender_id=message.sender_id,
                recipient_id=recipient,
                sent_at=message.sent_at,
            ),
            subject=conversation.match_id,
            source=SOURCE,
        )
    )


async def _queue_session_scheduled(
    uow: MessagingUnitOfWork, session: Session, *, actor_id: str, was_confirmed: bool = False
) -> None:
    """Queue ``session.scheduled`` for the session as it now is.

    Args:
        uow: The open unit of work.
        session: The session after the change.
        actor_id: Who made the change.
        was_confirmed: The session was confirmed before this change, so calendar
            entries of it exist (a cancellation then withdraws them).
    """
    # The online link stays out of the event: it can be a personal meeting room.
    confirmed = None
    if session.status == "confirmed":
        confirmed = await uow.sessions.count_confirmed(session.conversation_id)
    uow.add_event(
        new_event(
            SessionScheduled(
                session_id=session.id,
                conversation_id=session.conversation_id,
                match_id=session.match_id,
                proposer_id=session.proposer_id,
                other_id=session.other_id,
                status=session.status,
                starts_at=session.starts_at,
                duration_minutes=session.duration_minutes,
                location=session.location,
                confirmed_sessions=confirmed,
                sequence=session.sequence,
                actor_id=actor_id,
                was_confirmed=was_confirmed,
            ),
            subject=session.match_id,
            source=SOURCE,
        )
    )


async def _either_erased(uow: MessagingUnitOfWork, *people: str) -> bool:
    for person in people:
        if await uow.erased.contains(person):
            return True
    return False


# --- consumed events (inside the consumer's unit of work) ----------------------------


async def open_conversation(cmd: OpenConversation, uow: MessagingUnitOfWork) -> Message | None:
    """Open the conversation of a match request with the request's message first.

    A repeat for the same match does nothing (returns None). A request whose
    message is blank opens the conversation without a first message.
    """
    if await uow.conversations.get_by_match(cmd.match_id) is not None:
        log.info("conversation_already_open", match_id=cmd.match_id)
        return None
    if await _either_erased(uow, cmd.mentee_id, cmd.mentor_id):
        log.info("conversation_for_erased_person_refused", match_id=cmd.match_id)
        return None
    conversation = Conversation.open(cmd.match_id, cmd.mentee_id, cmd.mentor_id, cmd.requested_at)
    message: Message | None = None
    try:
        message = conversation.post(cmd.mentee_id, cmd.message, cmd.requested_at)
    except InvalidMessage:
        # The matching service validated the request; an unusable message
        # still must not keep the two people from talking.
        log.warning("request_message_unusable", match_id=cmd.match_id)
    await uow.conversations.add(conversation)
    if message is not None:
        # No message.sent: the mentor is told about the request itself (match.requested);
        # a second "new message" notice for the same words would be noise.
        await uow.messages.add(message)
    log.info("conversation_opened", conversation_id=conversation.id, match_id=cmd.match_id)
    return message


async def activate_conversation(cmd: ActivateConversation, uow: MessagingUnitOfWork) -> None:
    """The match was accepted: the conversation stays open and sessions are allowed.

    If the request's event never reached this service, the conversation is
    opened now, without a first message.
    """
    conversation = await uow.conversations.get_by_match(cmd.match_id)
    if conversation is None:
        if await _either_erased(uow, cmd.mentee_id, cmd.mentor_id):
            log.info("conversation_for_erased_person_refused", match_id=cmd.match_id)
            return
        conversation = Conversation.open(
            cmd.match_id, cmd.mentee_id, cmd.mentor_id, cmd.accepted_at
        )
        conversation.activate()
        await uow.conversations.add(conversation)
        log.warning("conversation_opened_on_accept", match_id=cmd.match_id)
        return
    conversation.activate()
    await uow.conversations.update(conversation)
    log.info("conversation_activated", conversation_id=conversation.id, status=conversation.status)


async def close_conversation(cmd: CloseConversation, uow: MessagingUnitOfWork) -> None:
    """Make the match's conversation read-only, recording why."""
    conversation = await uow.conversations.get_by_match(cmd.match_id)
    if conversation is None:
        log.info("conversation_to_close_unknown", match_id=cmd.match_id)
        return
    conversation.close(cmd.reason)
    await uow.conversations.update(conversation)
    log.info(
        "conversation_closed",
        conversation_id=conversation.id,
        reason=conversation.closed_reason,
    )


async def record_person(cmd: RecordPerson, uow: MessagingUnitOfWork) -> bool:
    """Remember a display name; older versions, and erased people, are ignored."""
    person = cmd.person
    if await uow.erased.contains(person.profile_id):
        log.info("person_erased_ignored", profile_id=person.profile_id)
        return False
    stored = await uow.people.upsert(person)
    if not stored:
        log.info("person_version_ignored", profile_id=person.profile_id, version=person.version)
    return stored


async def erase_person(cmd: ErasePerson, uow: MessagingUnitOfWork) -> None:
    """Erase someone and record them as erased, in the consumer's one transaction.

    Their messages, the reports of those messages, the reports they made,
    their read marks, every session of their conversations and their
    directory entry are deleted. Each of their conversations loses them as a
    participant and becomes read-only (``account_deleted``): the other person
    keeps their own messages, shown with "A former member"; a conversation
    nobody is left in is deleted whole. The outbox rows of those matches'
    events (sent or not) go too, so no event naming them is published or
    re-published afterwards. Nothing is published for the erasure itself.
    """
    person = cmd.profile_id
    conversations = await uow.conversations.list_for_participant(person)
    message_ids = await uow.messages.delete_by_sender(person)
    await uow.reports.delete_for_messages(message_ids)
    await uow.reports.delete_by_reporter(person)
    await uow.read_states.delete_reader(person)
    sessions = await uow.sessions.delete_for_participant(person)
    # The plan holds the mentee's goals and both people's actions, and the notes
    # belong to sessions that are now gone: neither outlives the match's end here.
    notes = await uow.session_notes.delete_by_author(person)
    for conversation in conversations:
        notes += await uow.session_notes.delete_for_conversation(conversation.id)
        await uow.plans.delete(conversation.id)
    for conversation in conversations:
        conversation.remove_participant(person, await uow.messages.last_sent_at(conversation.id))
        if conversation.participants:
            await uow.conversations.update(conversation)
        else:
            await uow.conversations.delete(conversation.id)
    events = await uow.retained_events.forget([c.match_id for c in conversations])
    await uow.people.delete(person)
    await uow.erased.add(person)
    log.info(
        "person_erased",
        profile_id=person,
        messages=len(message_ids),
        sessions=sessions,
        session_notes=notes,
        conversations=len(conversations),
        outbox_events=events,
    )


# --- HTTP commands (each its own unit of work) ----------------------------------------


async def send_message(cmd: SendMessage, uow: MessagingUnitOfWork, *, now: datetime) -> Message:
    """Post a message and queue ``message.sent``.

    Raises:
        ConversationNotFound: No such conversation, or the sender is not in it.
        ConversationReadOnly: The conversation is closed.
        InvalidMessage: Empty, blank or too long.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.sender_id) as conversation:
        message = conversation.post(cmd.sender_id, cmd.body, now)
        await uow.messages.add(message)
        await uow.conversations.update(conversation)
        _queue_message_sent(uow, conversation, message)
    log.info(
        "message_sent",
        conversation_id=conversation.id,
        message_id=message.id,
        seq=message.seq,
    )
    return message


async def mark_read(cmd: MarkRead, uow: MessagingUnitOfWork) -> int:
    """Mark everything up to ``cmd.message_id`` read; returns the reader's mark (a seq).

    Raises:
        ConversationNotFound: No such conversation, or the reader is not in it.
        MessageNotFound: The message is not in this conversation.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.reader_id) as conversation:
        message = await _message_in(uow, conversation, cmd.message_id)
        mark = await uow.read_states.mark_read(conversation.id, cmd.reader_id, message.seq)
    return mark


async def report_message(cmd: ReportMessage, uow: MessagingUnitOfWork, *, now: datetime) -> Report:
    """Report a message of the conversation to the administrators.

    Raises:
        ConversationNotFound: No such conversation, or the reporter is not in it.
        MessageNotFound: The message is not in this conversation.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.reporter_id) as conversation:
        message = await _message_in(uow, conversation, cmd.message_id)
        report = Report(
            id=model.new_id(),
            message_id=message.id,
            conversation_id=conversation.id,
            reporter_id=cmd.reporter_id,
            reason=cmd.reason,
            created_at=now,
        )
        await uow.reports.add(report)
    log.info("message_reported", report_id=report.id, message_id=message.id)
    return report


async def propose_session(
    cmd: ProposeSession, uow: MessagingUnitOfWork, *, now: datetime
) -> Session:
    """Propose one session in an accepted match's conversation.

    Raises:
        ConversationNotFound: No such conversation, or the proposer is not in it.
        MatchNotAccepted: The match is not accepted (or is over).
        InvalidSession: The proposal breaks a rule.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.proposer_id) as conversation:
        session = model.propose_session(
            conversation,
            cmd.proposer_id,
            starts_at=cmd.starts_at,
            duration_minutes=cmd.duration_minutes,
            location=cmd.location,
            online_link=cmd.online_link,
            now=now,
        )
        await uow.sessions.add(session)
        await _queue_session_scheduled(uow, session, actor_id=cmd.proposer_id)
    log.info("session_proposed", session_id=session.id, conversation_id=conversation.id)
    return session


async def plan_series(cmd: PlanSeries, uow: MessagingUnitOfWork, *, now: datetime) -> list[Session]:
    """Propose six one-hour sessions three weeks apart.

    Raises:
        ConversationNotFound: No such conversation, or the proposer is not in it.
        MatchNotAccepted: The match is not accepted (or is over).
        InvalidSession: The first start is not in the future, or no place given.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.proposer_id) as conversation:
        sessions = model.plan_series(
            conversation,
            cmd.proposer_id,
            first_starts_at=cmd.first_starts_at,
            location=cmd.location,
            online_link=cmd.online_link,
            now=now,
        )
        for session in sessions:
            await uow.sessions.add(session)
            await _queue_session_scheduled(uow, session, actor_id=cmd.proposer_id)
    log.info("session_series_planned", conversation_id=conversation.id, sessions=len(sessions))
    return sessions


async def change_session(cmd: ChangeSession, uow: MessagingUnitOfWork, *, now: datetime) -> Session:
    """Accept, decline, mark held or cancel a session; queues ``session.scheduled``.

    Raises:
        ConversationNotFound: No such conversation, or the actor is not in it.
        SessionNotFound: The session is not in this conversation.
        MatchNotAccepted: Accepting needs the match still active.
        SessionTransitionNotAllowed: Not from its status, or not by this person.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.actor_id) as conversation:
        session = await _session_in(uow, conversation, cmd.session_id)
        if cmd.action == "accept":
            conversation.require_accepted()
        was_confirmed = session.status == "confirmed"
        session.apply(cmd.action, cmd.actor_id, now)
        await uow.sessions.update(session)
        await _queue_session_scheduled(
            uow, session, actor_id=cmd.actor_id, was_confirmed=was_confirmed
        )
    log.info("session_changed", session_id=session.id, status=session.status)
    return session


async def revise_plan(cmd: RevisePlan, uow: MessagingUnitOfWork, *, now: datetime) -> Plan:
    """Save the shared plan of an active match, if nobody saved it since ``cmd.based_on``.

    The first save starts from version 0 (the prefilled plan nobody saved yet).

    Raises:
        ConversationNotFound: No such conversation, or the editor is not in it.
        MatchNotAccepted: The match is not accepted.
        ConversationReadOnly: The match is over.
        PlanVersionConflict: The plan was saved by someone else in between.
        InvalidPlan: Too many goals or actions, or a text breaks a rule.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.editor_id) as conversation:
        conversation.require_plan_writable()
        plan = await uow.plans.get(conversation.id) or Plan(conversation_id=conversation.id)
        held = plan.version
        plan.revise(
            based_on=cmd.based_on,
            goals=cmd.goals,
            actions=cmd.actions,
            editor_id=cmd.editor_id,
            now=now,
        )
        if not await uow.plans.save(plan, held):
            current = await uow.plans.get(conversation.id)
            raise PlanVersionConflict(current.version if current else 0)
    log.info("plan_revised", conversation_id=conversation.id, version=plan.version)
    return plan


async def write_session_note(
    cmd: WriteSessionNote, uow: MessagingUnitOfWork, *, now: datetime
) -> SessionNote:
    """Replace the author's private notes on a session of their conversation.

    Raises:
        ConversationNotFound: No such conversation, or the author is not in it.
        SessionNotFound: The session is not in this conversation.
        InvalidPlan: The notes are too long.
    """
    async with _as_participant(uow, cmd.conversation_id, cmd.author_id) as conversation:
        session = await _session_in(uow, conversation, cmd.session_id)
        note = write_note(conversation.id, session.id, cmd.author_id, cmd.body, now)
        await uow.session_notes.save(note)
    log.info("session_note_written", session_id=session.id, length=len(note.body))
    return note
