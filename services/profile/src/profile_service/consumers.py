"""Kafka entrypoint: match events -> contact-grant commands."""

from __future__ import annotations

from mentor_shared.clock import as_utc, utc_now
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.schemas import MatchAccepted, MatchEnded, MatchWithdrawn
from profile_service.domain.commands import GrantContact, RevokeContact
from profile_service.service import grants
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
    at = as_utc(event.occurred_at)
    if isinstance(data, MatchAccepted):
        await grants.grant_contact(
            GrantContact(
                match_id=data.match_id, mentee_id=data.mentee_id, mentor_id=data.mentor_id
            ),
            uow,
            at,
        )
    elif isinstance(data, MatchEnded | MatchWithdrawn):
        await grants.revoke_contact(
            RevokeContact(
                match_id=data.match_id, mentee_id=data.mentee_id, mentor_id=data.mentor_id
            ),
            uow,
            min(at, utc_now()),
        )
