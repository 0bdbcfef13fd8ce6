"""The caller's own data: a copy of everything this service holds about them."""

from __future__ import annotations

from fastapi import APIRouter, Response

from mentor_shared.clock import utc_now
from mentor_shared.web.errors import error_responses
from notifications_service.api.deps import CurrentPrincipal, UowDep
from notifications_service.api.routes.preferences import to_public as preferences_public
from notifications_service.api.schemas import (
    CheckInPublic,
    EmailLogEntry,
    HeldContact,
    HeldProfile,
    NotificationPublic,
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
    return NotificationsExport(
        account_id=principal.id,
        exported_at=utc_now(),
        contact=HeldContact.model_validate(data.contact) if data.contact else None,
        profile=HeldProfile.model_validate(data.card) if data.card else None,
        preferences=preferences_public(data.preferences),
        notifications=[NotificationPublic.model_validate(n) for n in data.notifications],
        email_log=[EmailLogEntry.model_validate(job) for job in data.email_log],
        checkins=[CheckInPublic.model_validate(c) for c in data.checkins],
    )
