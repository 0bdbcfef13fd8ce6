"""Kafka entrypoint: turn consumed events into commands and hand them to the handlers."""

from __future__ import annotations

from mentor_shared.events import Envelope
from mentor_shared.events.schemas import (
    MatchAccepted,
    MatchDeclined,
    MatchEnded,
    MatchExpired,
    MatchRequested,
    MatchWithdrawn,
    ProfileDeleted,
    ProfileUpserted,
)
from messaging_service.domain.commands import (
    ActivateConversation,
    CloseConversation,
    ErasePerson,
    OpenConversation,
    RecordPerson,
)
from messaging_service.domain.model import ClosedReason, Person
from messaging_service.service import handlers
from messaging_service.service.ports import MessagingUnitOfWork

MATCH_GROUP = "messaging-matches"
PROFILE_GROUP = "messaging-profiles"


async def handle_match_event(event: Envelope, uow: MessagingUnitOfWork) -> None:
    """Apply a ``match.*`` event; types this service does not need are ignored."""
    data = event.payload()
    if isinstance(data, MatchRequested):
        await handlers.open_conversation(
            OpenConversation(
                match_id=data.match_id,
                mentee_id=data.mentee_id,
                mentor_id=data.mentor_id,
                message=data.message,
                requested_at=event.occurred_at,
            ),
            uow,
        )
    elif isinstance(data, MatchAccepted):
        await handlers.activate_conversation(
            ActivateConversation(
                match_id=data.match_id,
                mentee_id=data.mentee_id,
                mentor_id=data.mentor_id,
                accepted_at=event.occurred_at,
            ),
            uow,
        )
    elif isinstance(data, MatchDeclined | MatchWithdrawn | MatchExpired | MatchEnded):
        await handlers.close_conversation(
            CloseConversation(match_id=data.match_id, reason=_closed_reason(data)), uow
        )


def _closed_reason(
    data: MatchDeclined | MatchWithdrawn | MatchExpired | MatchEnded,
) -> ClosedReason:
    if isinstance(data, MatchDeclined):
        return "declined"
    if isinstance(data, MatchWithdrawn):
        return data.reason
    if isinstance(data, MatchExpired):
        return "expired"
    return "ended"


async def handle_profile_event(event: Envelope, uow: MessagingUnitOfWork) -> None:
    """Apply a ``profile.*`` event: the directory of names, and erasure."""
    data = event.payload()
    if isinstance(data, ProfileUpserted):
        await handlers.record_person(
            RecordPerson(
                Person(
                    profile_id=data.profile_id,
                    display_name=data.display_name,
                    initials=data.initials,
                    anonymous=data.anonymous,
                    version=data.version,
                    goals=tuple(data.goals),
                )
            ),
            uow,
        )
    elif isinstance(data, ProfileDeleted):
        await handlers.erase_person(ErasePerson(profile_id=data.profile_id), uow)
