"""The administrators' queue of reported messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from mentor_shared.web.errors import error_responses
from messaging_service.api.deps import AdminPrincipal, ContextDep
from messaging_service.api.schemas import AdminReportList, AdminReportPublic, ReportedMessagePublic
from messaging_service.domain.model import visible_name

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/reports", response_model=AdminReportList, responses=error_responses(401, 403))
async def list_reports(
    admin: AdminPrincipal,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AdminReportList:
    """Reports newest first, each with the reported message only (not the conversation).

    Senders who chose to be anonymous show as initials here: the administrator
    is not part of their conversation.
    """
    reported = await ctx.read_model.reports(limit)
    senders = await ctx.read_model.people(
        r.message.sender_id for r in reported if r.message and r.message.sender_id
    )
    items = []
    for entry in reported:
        message = entry.message
        items.append(
            AdminReportPublic(
                id=entry.report.id,
                reason=entry.report.reason,
                reporter_id=entry.report.reporter_id,
                created_at=entry.report.created_at,
                message=None
                if message is None
                else ReportedMessagePublic(
                    id=message.id,
                    sender_id=message.sender_id,
                    sender_name=visible_name(
                        senders.get(message.sender_id) if message.sender_id else None,
                        shares_conversation=False,
                        erased=message.deleted,
                    ),
                    body=message.body,
                    sent_at=message.sent_at,
                    deleted=message.deleted,
                ),
            )
        )
    return AdminReportList(items=items)
