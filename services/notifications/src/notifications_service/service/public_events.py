"""Anonymised match events for other departments: the public topic and webhooks.

What is kept of a person and how it is coarsened is in ``domain.anonymise``.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Literal

from mentor_shared.clock import utc_now
from mentor_shared.events.envelope import new_event
from mentor_shared.events.schemas import PublicMatchEvent
from notifications_service.domain.anonymise import coarse_time, grade_band
from notifications_service.domain.model import WebhookDelivery, derived_id
from notifications_service.service.notify import SOURCE
from notifications_service.service.ports import NotificationsUnitOfWork

PublicMatchStep = Literal["requested", "accepted", "declined", "withdrawn", "expired", "ended"]
"""The match events other departments hear of (not reminders)."""


async def publish_public_event(
    uow: NotificationsUnitOfWork,
    event_id: str,
    match_event: PublicMatchStep,
    mentee_id: str,
    occurred_at: datetime,
) -> None:
    """Publish the anonymised event on the public topic and queue signed webhooks.

    Built from the mentee's card (see ``domain.anonymise``). The envelope gets a
    random subject and correlation id: the originals name a match and a request.
    """
    card = await uow.cards.get(mentee_id)
    when = coarse_time(occurred_at)
    payload = PublicMatchEvent(
        match_event=match_event,
        department=card.department if card else None,
        profession=card.profession if card else None,
        grade_band=grade_band(card.grade) if card else None,
        region=card.region if card else None,
        occurred_at=when,
    )
    uow.add_event(
        new_event(
            payload,
            subject=str(uuid.uuid4()),
            source=SOURCE,
            correlation_id=str(uuid.uuid4()),
            occurred_at=when,
        )
    )
    now = utc_now()
    for subscription in await uow.subscriptions.list():
        if not subscription.wants(match_event, payload.department):
            continue
        body = {
            "id": str(uuid.uuid4()),
            "type": f"match.{match_event}",
            **payload.model_dump(mode="json", exclude={"match_event"}),
        }
        await uow.webhook_deliveries.add(
            WebhookDelivery(
                id=derived_id(event_id, subscription.id),
                subscription_id=subscription.id,
                body=json.dumps(body, separators=(",", ":")),
                created_at=now,
                next_attempt_at=now,
            ),
            # Kept only until delivered, so that erasing the mentee drops it.
            subject_id=mentee_id,
        )
