"""FastAPI dependencies of the notifications routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mentor_shared.auth import AdminPrincipal, CurrentPrincipal, StreamPrincipal
from notifications_service.bootstrap import NotificationsContext
from notifications_service.service.ports import NotificationsUnitOfWork


async def get_context(request: Request) -> NotificationsContext:
    """The running service's context (set by the lifespan)."""
    context: NotificationsContext = request.app.state.notifications
    return context


async def get_uow(
    context: Annotated[NotificationsContext, Depends(get_context)],
) -> NotificationsUnitOfWork:
    """A fresh unit of work."""
    return context.uow_factory()


ContextDep = Annotated[NotificationsContext, Depends(get_context)]
UowDep = Annotated[NotificationsUnitOfWork, Depends(get_uow)]

__all__ = ["AdminPrincipal", "ContextDep", "CurrentPrincipal", "StreamPrincipal", "UowDep"]
