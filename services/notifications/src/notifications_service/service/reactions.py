"""What the service does on each event it consumes.

:data:`REACTIONS` maps each event class to its reaction. Reactions run inside the
consumer's unit of work, which also records the event in the inbox and commits;
they never commit themselves. The words of every notification are in
``domain.messages``; :func:`~notifications_service.service.notify.notify` decides
per person whether it goes in-app, by email, in the digest or nowhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from mentor_shared.calendar import CalendarSession
from mentor_shared.clock import utc_now
from mentor_shared.events.envelope import EventData
from mentor_shared.events.schemas import (
    AccountClaimRequested,
    AccountEmailVerified,
    AccountPasswordResetRequested,
    AccountRegistered,
    AccountVerificationRequested,
    MatchAccepted,
    MatchDeclined,
    MatchEnded,
    MatchExpired,
    MatchReminderDue,
    MatchRequested,
    MatchWithdrawn,
    MessageSent,
    ProfileDeleted,
    ProfileUpserted,
    SessionScheduled,
)
from mentor_shared.sealing import Sealer, SealError
from notifications_service.domain import messages
from notifications_service.domain.checkins import ROUNDS, CheckIn, checkin_id
from notifications_service.domain.messages import Letter
from notifications_service.domain.model import Contact, ProfileCard
from notifications_service.service.erasure import erase_person
from notifications_service.service.notify import Notice, NotifyConfig, Throttle, name_of, notify
from notifications_service.service.ports import NotificationsUnitOfWork
from notifications_service.service.public_events import PublicMatchStep, publish_public_event

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EventContext:
    """What a reaction knows of its event besides the payload, and what it uses."""

    event_id: str
    occurred_at: datetime
    config: NotifyConfig
    sealer: Sealer
    """Opens the single-use tokens account events carry sealed."""

    async def tell(self, uow: NotificationsUnitOfWork, *told: tuple[str, Letter]) -> None:
        """Notify each (recipient, letter) as this event's doing."""
        now = utc_now()
        for recipient_id, letter in told:
            await notify(uow, self.config, Notice(self.event_id, recipient_id, letter), now)

    @property
    def public_url(self) -> str:
        """The web front end, where every link in a letter goes."""
        return self.config.public_url


Reaction = Callable[[NotificationsUnitOfWork, EventContext, Any], Awaitable[None]]
"""A reaction to one event class: ``(uow, event, payload)``."""


# --- account and profile events -----------------------------------------------


async def on_account_registered(
    uow: NotificationsUnitOfWork, event: EventContext, data: AccountRegistered
) -> None:
    """Keep the new account's address for later emails."""
    await uow.contacts.upsert(Contact(data.account_id, data.email, data.display_name))


async def on_email_verified(
    uow: NotificationsUnitOfWork, event: EventContext, data: AccountEmailVerified
) -> None:
    """The account's address was confirmed."""
    await uow.contacts.mark_verified(data.account_id)


ACCOUNT_LETTERS = {
    AccountVerificationRequested: messages.verification,
    AccountPasswordResetRequested: messages.password_reset,
    AccountClaimRequested: messages.claim,
}


async def on_account_token(
    uow: NotificationsUnitOfWork,
    event: EventContext,
    data: AccountVerificationRequested | AccountPasswordResetRequested | AccountClaimRequested,
) -> None:
    """Email a verification, reset or claim link (email only, never switched off).

    Raises:
        SealError: The sealed token is not ours (another key) or was altered: no
            email can be built from it and retrying would not change that, so the
            consumer dead-letters the event.
    """
    try:
        token = event.sealer.open(data.sealed_token)
    except SealError:
        log.warning("account_token_unreadable", event_id=event.event_id, type=data.event_type)
        raise
    letter = ACCOUNT_LETTERS[type(data)](event.public_url, token, data.expires_at)
    # The event carries the address: it may be new (a changed address) or the
    # registration may not have arrived yet.
    address = Contact(data.account_id, data.email, data.display_name)
    notice = Notice(event.event_id, data.account_id, letter, address=address)
    await notify(uow, event.config, notice, utc_now())


async def on_profile_upserted(
    uow: NotificationsUnitOfWork, event: EventContext, data: ProfileUpserted
) -> None:
    """Keep the display name and the coarse facts public events are built from."""
    await uow.cards.upsert(
        ProfileCard(
            profile_id=data.profile_id,
            version=data.version,
            display_name=data.display_name,
            department=data.department,
            profession=data.profession,
            grade=data.grade,
            region=data.region,
        )
    )


async def on_profile_deleted(
    uow: NotificationsUnitOfWork, event: EventContext, data: ProfileDeleted
) -> None:
    """Forget the person (``service.erasure``), also when already erased: a replay
    finds nothing more and changes nothing."""
    await erase_person(uow, data.profile_id)


# --- match events ------------------------------------------------------------


async def on_match_requested(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchRequested
) -> None:
    """Tell the mentor (or coach) they were asked."""
    mentee = await name_of(uow, data.mentee_id)
    letter = messages.request_received(event.public_url, data.match_id, mentee, data.role)
    await event.tell(uow, (data.mentor_id, letter))
    await _publish(uow, event, "requested", data.mentee_id)


async def on_match_accepted(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchAccepted
) -> None:
    """Email the mentee that their request was accepted."""
    await _tell_mentee_the_answer(uow, event, data, "accepted")


async def on_match_declined(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchDeclined
) -> None:
    """Email the mentee that their request was declined."""
    await _tell_mentee_the_answer(uow, event, data, "declined")


async def _tell_mentee_the_answer(
    uow: NotificationsUnitOfWork,
    event: EventContext,
    data: MatchAccepted | MatchDeclined,
    answer: PublicMatchStep,
) -> None:
    mentor = await name_of(uow, data.mentor_id)
    letter = messages.request_answered(event.public_url, data.match_id, mentor, answer)
    await event.tell(uow, (data.mentee_id, letter))
    await _publish(uow, event, answer, data.mentee_id)


async def on_match_withdrawn(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchWithdrawn
) -> None:
    """Tell the mentor the mentee withdrew their request."""
    mentee = await name_of(uow, data.mentee_id)
    url, match_id = event.public_url, data.match_id
    letter = messages.request_answered(url, match_id, mentee, "withdrawn", to_mentor=True)
    await event.tell(uow, (data.mentor_id, letter))
    await _publish(uow, event, "withdrawn", data.mentee_id)


async def on_match_expired(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchExpired
) -> None:
    """Tell both sides that nobody answered in time."""
    mentee, mentor = await name_of(uow, data.mentee_id), await name_of(uow, data.mentor_id)
    url, match_id = event.public_url, data.match_id
    await event.tell(
        uow,
        (data.mentee_id, messages.request_answered(url, match_id, mentor, "expired")),
        (
            data.mentor_id,
            messages.request_answered(url, match_id, mentee, "expired", to_mentor=True),
        ),
    )
    await _publish(uow, event, "expired", data.mentee_id)


async def on_match_reminder_due(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchReminderDue
) -> None:
    """Remind the mentor that a request waits for their answer (not published)."""
    mentee = await name_of(uow, data.mentee_id)
    letter = messages.reminder(event.public_url, data.match_id, mentee)
    await event.tell(uow, (data.mentor_id, letter))


async def on_match_ended(
    uow: NotificationsUnitOfWork, event: EventContext, data: MatchEnded
) -> None:
    """Tell both sides the mentoring ended, and who ended it."""
    mentee, mentor = await name_of(uow, data.mentee_id), await name_of(uow, data.mentor_id)
    url, match_id, ended_by = event.public_url, data.match_id, data.ended_by
    await event.tell(
        uow,
        (
            data.mentee_id,
            messages.match_ended(url, match_id, mentor, by_you=ended_by == data.mentee_id),
        ),
        (
            data.mentor_id,
            messages.match_ended(url, match_id, mentee, by_you=ended_by == data.mentor_id),
        ),
    )
    await _publish(uow, event, "ended", data.mentee_id)


async def _publish(
    uow: NotificationsUnitOfWork, event: EventContext, step: PublicMatchStep, mentee_id: str
) -> None:
    await publish_public_event(uow, event.event_id, step, mentee_id, event.occurred_at)


# --- messaging events --------------------------------------------------------


async def on_message_sent(
    uow: NotificationsUnitOfWork, event: EventContext, data: MessageSent
) -> None:
    """In-app always; at most one email per conversation an hour per recipient."""
    sender = await name_of(uow, data.sender_id)
    letter = messages.new_message(event.public_url, data.conversation_id, sender)
    throttle = Throttle(
        f"conversation:{data.conversation_id}", data.sent_at - event.config.message_email_window
    )
    notice = Notice(event.event_id, data.recipient_id, letter, throttle=throttle)
    await notify(uow, event.config, notice, utc_now())


async def on_session_scheduled(
    uow: NotificationsUnitOfWork, event: EventContext, data: SessionScheduled
) -> None:
    """Tell the other person about a proposed or confirmed session; tell both
    about the cancellation of a confirmed one.

    A proposal goes to the person asked; a confirmation (made by that person)
    goes to the proposer, with a calendar entry (``METHOD:PUBLISH``); the 3rd and
    6th confirmation also ask both "How is it going?".
    """
    if data.status == "cancelled" and data.was_confirmed:
        await _session_cancelled(uow, event, data)
        return
    if data.status not in ("proposed", "confirmed"):
        return
    recipient_id = data.other_id if data.status == "proposed" else data.proposer_id
    actor_id = data.proposer_id if data.status == "proposed" else data.other_id
    other_name = await name_of(uow, actor_id)
    letter = messages.session(
        event.public_url, data.conversation_id, other_name, data.status, data.starts_at
    )
    calendar = _calendar(data, other_name, letter) if data.status == "confirmed" else None
    notice = Notice(event.event_id, recipient_id, letter, calendar=calendar)
    await notify(uow, event.config, notice, utc_now())
    if data.status == "confirmed" and data.confirmed_sessions in ROUNDS:
        await send_checkins(uow, event, data)


async def _session_cancelled(
    uow: NotificationsUnitOfWork, event: EventContext, data: SessionScheduled
) -> None:
    """Email both people a cancellation (``METHOD:CANCEL``) that removes the
    calendar entry the confirmation gave them; in-app only for the one who did
    not cancel (for both when the event does not say who did)."""
    now = utc_now()
    people = (data.proposer_id, data.other_id)
    for recipient_id, other_id in (people, people[::-1]):
        other_name = await name_of(uow, other_id)
        by_you = None if data.actor_id is None else recipient_id == data.actor_id
        letter = messages.session_cancelled(
            event.public_url, data.conversation_id, other_name, data.starts_at, by_you=by_you
        )
        notice = Notice(
            event.event_id,
            recipient_id,
            letter,
            calendar=_calendar(data, other_name, letter),
            in_app=not by_you,
        )
        await notify(uow, event.config, notice, now)


def _calendar(data: SessionScheduled, other_name: str, letter: Letter) -> CalendarSession:
    """The session's calendar entry as one participant sees it."""
    return CalendarSession(
        session_id=data.session_id,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        sequence=data.sequence,
        summary=f"Mentoring session with {other_name}",
        cancelled=data.status == "cancelled",
        location=data.location,
        url=letter.action_url,
    )


async def send_checkins(
    uow: NotificationsUnitOfWork, event: EventContext, data: SessionScheduled
) -> None:
    """Ask both people "How is it going?" after the 3rd or 6th confirmed session.

    One check-in per person, match and round: a round reached again (a session
    cancelled, another confirmed) or a replayed event adds nothing.
    """
    assert data.confirmed_sessions is not None
    round_ = data.confirmed_sessions
    now = utc_now()
    for person_id in (data.proposer_id, data.other_id):
        item = CheckIn(
            id=checkin_id(data.match_id, person_id, round_),
            recipient_id=person_id,
            match_id=data.match_id,
            conversation_id=data.conversation_id,
            round=round_,
            created_at=now,
        )
        if not await uow.checkins.add(item):
            continue
        letter = messages.checkin(event.public_url, item.id, round_)
        await notify(uow, event.config, Notice(f"{event.event_id}:checkin", person_id, letter), now)
        log.info("checkin_sent", checkin_id=item.id, round=round_)


REACTIONS: dict[type[EventData], Reaction] = {
    AccountRegistered: on_account_registered,
    AccountVerificationRequested: on_account_token,
    AccountPasswordResetRequested: on_account_token,
    AccountClaimRequested: on_account_token,
    AccountEmailVerified: on_email_verified,
    ProfileUpserted: on_profile_upserted,
    ProfileDeleted: on_profile_deleted,
    MatchRequested: on_match_requested,
    MatchAccepted: on_match_accepted,
    MatchDeclined: on_match_declined,
    MatchWithdrawn: on_match_withdrawn,
    MatchExpired: on_match_expired,
    MatchReminderDue: on_match_reminder_due,
    MatchEnded: on_match_ended,
    MessageSent: on_message_sent,
    SessionScheduled: on_session_scheduled,
}
"""The reaction to each event class; any other event on these topics concerns no one here."""
