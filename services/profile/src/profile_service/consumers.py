"""Kafka entrypoint: match events -> contact-grant commands."""

from __future__ import annotations

from datetime import UTC, datetime

from mentor_shared.events.envelope import Envelope
from mentor_shared.events.schemas import MatchAccepted, MatchEnded, MatchWithdrawn
from profile_service.domain.commands import GrantContact, RevokeContact
from profile_service.service import handlers
from profile_service.service.ports import ProfileUnitOfWork

GROUP_ID = "profile-grants"
TOPICS = ["match"]


async def handle_event(event: Envelope, uow: ProfileUnitOfWork) -> None:
    """Apply one match event inside the consumer's open unit of work.

    Only acceptance, ending and withdrawal change who may see contact details; the
    other match events are not this service's business.
    """
    if event.type not in {"match.accepted", "match.ended", "match.withdrawn"}:
        return
    data = event.payload()
    at = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    if isinstance(data, MatchAccepted):
        await handlers.grant_contact(
            GrantContact(
                match_id=data.match_id, mentee_id=data.mentee_id, mentor_id=data.mentor_id
            ),
            uow,
            at,
        )
    elif isinstance(data, MatchEnded | MatchWithdrawn):
        await handlers.revoke_contact(
            RevokeContact(
                match_id=data.match_id, mentee_id=data.mentee_id, mentor_id=data.mentor_id
            ),
            uow,
            min(at, datetime.now(UTC)),
        )
