"""FastAPI dependencies of the matching API, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from matching_service.bootstrap import MatchingContext
from mentor_shared.auth import AdminPrincipal, CurrentPrincipal

__all__ = ["AdminPrincipal", "ContextDep", "CurrentPrincipal"]


async def get_context(request: Request) -> MatchingContext:
    """The service context the lifespan built."""
    context: MatchingContext = request.app.state.matching
    return context


ContextDep = Annotated[MatchingContext, Depends(get_context)]
