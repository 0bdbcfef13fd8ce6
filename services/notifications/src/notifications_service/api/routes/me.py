"""The caller's own data: a copy of everything this service holds about them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses
from notifications_service.api.deps import CurrentPrincipal, UowDep
from notifications_service.api.routes.checkins import to_public as checkin_public
from notifications_service.api.routes.notifications import to_public as notification_public
from notifications_service.api.routes.preferences import to_public as preferences_public
from notifications_service.api.schemas import (
    EmailLogEntry,
    HeldContact,
    HeldProfile,
    NotificationsExport,
)
from notifications_service.service import commands

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get(
    "/export/notifications", response_model=NotificationsExport, responses=error_responses(401)
)
async def export(
    principal: CurrentPrincipal, uow: UowDep, response: Response
) -> NotificationsExport:
    """The caller's address and name as held here, their preferences, every
    notification and the metadata of every email sent or queued to them (kind,
    subject, state, times; never the bodies, which are not kept once sent)."""
    data = await commands.export_personal_data(uow, principal.id)
    response.headers["Cache-Control"] = "no-store"
    contact, card = data.contact, data.card
    return NotificationsExport(
        account_id=principal.id,
        exported_at=utc_now(),
        contact=HeldContact(
            email=contact.email, display_name=contact.display_name, verified=contact.verified
        )
        if contact
        else None,
        profile=HeldProfile(
            display_name=card.display_name,
            department=card.department,
            profession=card.profession,
            grade=card.grade,
            region=card.region,
        )
        if card
        else None,
        preferences=preferences_public(data.preferences),
        notifications=[notification_public(n) for n in data.notifications],
        email_log=[
            EmailLogEntry(
                id=job.id,
                kind=job.kind,
                subject=job.subject,
                state=job.state,
                attempts=job.attempts,
                created_at=job.created_at,
                sent_at=job.sent_at,
                last_error=job.last_error,
            )
            for job in data.email_log
        ],
        checkins=[checkin_public(c) for c in data.checkins],
    )
