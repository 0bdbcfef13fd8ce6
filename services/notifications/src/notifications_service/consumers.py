"""Kafka entrypoint: each consumed event becomes a call to a handler.

The shared consumer runner opens the unit of work, records the event in the
inbox (so a redelivered event is skipped), calls :func:`handle_event` and
commits.
"""

from __future__ import annotations

import structlog

from mentor_shared.bus.consumer import EventHandler
from mentor_shared.events.envelope import Envelope
from mentor_shared.events.schemas import (
    AccountClaimRequested,
    AccountEmailVerified,
    AccountPasswordResetRequested,
    AccountRegistered,
    AccountVerificationRequested,
    MessageSent,
    ProfileDeleted,
    ProfileUpserted,
    SessionScheduled,
)
from mentor_shared.sealing import Sealer, SealError
from notifications_service.service import handlers
from notifications_service.service.handlers import NotifyConfig
from notifications_service.service.ports import NotificationsUnitOfWork

GROUP_ID = "notifications"
TOPICS = ["account", "profile", "match", "messaging"]

MATCH_EVENTS = frozenset(
    {
        "match.requested",
        "match.accepted",
        "match.declined",
        "match.withdrawn",
        "match.expired",
        "match.reminder_due",
        "match.ended",
    }
)


log = structlog.get_logger(__name__)


def make_event_handler(config: NotifyConfig, sealer: Sealer) -> EventHandler:
    """The handler the consumer runner calls for every event.

    ``sealer`` opens the single-use tokens account events carry sealed.
    """

    async def handle_event(event: Envelope, uow: NotificationsUnitOfWork) -> None:
        data = event.payload()
        event_id = str(event.id)
        if isinstance(data, AccountRegistered):
            await handlers.on_account_registered(uow, data)
        elif isinstance(
            data,
            AccountVerificationRequested | AccountPasswordResetRequested | AccountClaimRequested,
        ):
            try:
                token = sealer.open(data.sealed_token)
            except SealError:
                # Not ours (another key) or altered: no email can be built from it,
                # and retrying would not change that. The consumer dead-letters it.
                log.warning("account_token_unreadable", event_id=event_id, type=event.type)
                raise
            await handlers.on_account_token(uow, config, event_id, data, token)
        elif isinstance(data, AccountEmailVerified):
            await uow.contacts.mark_verified(data.account_id)
        elif isinstance(data, ProfileUpserted):
            await handlers.on_profile_upserted(uow, data)
        elif isinstance(data, ProfileDeleted):
            await handlers.on_profile_deleted(uow, data.profile_id)
        elif event.type in MATCH_EVENTS:
            await handlers.on_match_event(
                uow, config, event_id, event.type, event.occurred_at, data
            )
        elif isinstance(data, MessageSent):
            await handlers.on_message_sent(uow, config, event_id, data)
        elif isinstance(data, SessionScheduled):
            await handlers.on_session_scheduled(uow, config, event_id, data)
        # Any other event type on these topics concerns no one here.

    return handle_event
