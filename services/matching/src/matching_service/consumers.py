"""Kafka entrypoint: profile events -> the profile projection (and, after commit, the index)."""

from __future__ import annotations

from matching_service.service import handlers
from matching_service.service.ports import AppliedEvent, MatchingUnitOfWork
from mentor_shared.clock import as_utc
from mentor_shared.events import Envelope
from mentor_shared.events.schemas import PROFILE_TOPIC, ProfileDeleted, ProfileUpserted

TOPICS = [PROFILE_TOPIC]


def applied(event: Envelope) -> AppliedEvent:
    """The event as recorded in ``index_state``."""
    return AppliedEvent(id=str(event.id), type=event.type, occurred_at=as_utc(event.occurred_at))


async def handle_event(event: Envelope, uow: MatchingUnitOfWork) -> None:
    """Apply one profile event inside the consumer's open unit of work.

    The in-memory index follows after the commit (``IndexKeeper.apply_events``), so
    the store, from which the index is rebuilt, is always at least as new as the index.
    """
    if event.type not in {"profile.upserted", "profile.deleted"}:
        return
    data = event.payload()
    if isinstance(data, ProfileUpserted):
        await handlers.project_profile(data, uow, applied(event))
    elif isinstance(data, ProfileDeleted):
        await handlers.erase_profile(data.profile_id, uow, applied(event))
