"""Kafka entrypoint: each consumed event becomes a call to its reaction.

The shared consumer runner opens the unit of work, records the event in the
inbox (so a redelivered event is skipped), calls the handler made here and
commits. Which reaction answers which event class is
:data:`notifications_service.service.reactions.REACTIONS`.
"""

from __future__ import annotations

import structlog

from mentor_shared.bus.consumer import EventHandler
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.schemas import ProfileDeleted
from mentor_shared.sealing import Sealer
from notifications_service.service.erasure import any_erased
from notifications_service.service.notify import NotifyConfig
from notifications_service.service.ports import NotificationsUnitOfWork
from notifications_service.service.reactions import REACTIONS, EventContext

GROUP_ID = "notifications"
TOPICS = ["account", "profile", "match", "messaging"]

log = structlog.get_logger(__name__)

PERSON_FIELDS = (
    "account_id",
    "profile_id",
    "mentee_id",
    "mentor_id",
    "sender_id",
    "recipient_id",
    "proposer_id",
    "other_id",
)


def people_in(data: object) -> list[str]:
    """The ids of the people an event payload names."""
    return [value for name in PERSON_FIELDS if isinstance(value := getattr(data, name, None), str)]


def make_event_handler(config: NotifyConfig, sealer: Sealer) -> EventHandler:
    """The handler the consumer runner calls for every event.

    ``sealer`` opens the single-use tokens account events carry sealed.
    """

    async def handle_event(event: Envelope, uow: NotificationsUnitOfWork) -> None:
        data = event.payload()
        event_id = str(event.id)
        # An erasure runs also when the person is already erased (a replay changes nothing).
        if not isinstance(data, ProfileDeleted) and await any_erased(uow, *people_in(data)):
            # Someone it concerns asked to be forgotten: nothing is made for or of them,
            # whether the event is late, replayed or re-published.
            log.info("event_about_erased_person_ignored", event_id=event_id, type=event.type)
            return
        reaction = REACTIONS.get(type(data))
        if reaction is not None:
            context = EventContext(event_id, event.occurred_at, config, sealer)
            await reaction(uow, context, data)

    return handle_event
