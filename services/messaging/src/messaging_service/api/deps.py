"""FastAPI dependencies of the messaging API, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mentor_shared.auth import AdminPrincipal, CurrentPrincipal, StreamPrincipal
from messaging_service.bootstrap import MessagingContext

__all__ = ["AdminPrincipal", "ContextDep", "CurrentPrincipal", "StreamPrincipal"]


async def get_context(request: Request) -> MessagingContext:
    """The service context the lifespan built."""
    context: MessagingContext = request.app.state.messaging
    return context


ContextDep = Annotated[MessagingContext, Depends(get_context)]
