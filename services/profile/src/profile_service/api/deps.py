"""FastAPI dependencies of the profile service (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mentor_shared.auth import AdminPrincipal, CurrentPrincipal
from profile_service.bootstrap import ProfileContext
from profile_service.service.handlers import ProfileDeps
from profile_service.service.ports import ProfileUnitOfWork


async def get_context(request: Request) -> ProfileContext:
    """The process's context, set by the lifespan."""
    context: ProfileContext = request.app.state.profile
    return context


async def get_uow(context: Annotated[ProfileContext, Depends(get_context)]) -> ProfileUnitOfWork:
    """A fresh unit of work for this request."""
    return context.uow_factory()


async def get_deps(context: Annotated[ProfileContext, Depends(get_context)]) -> ProfileDeps:
    """The handlers' collaborators."""
    return context.deps


ContextDep = Annotated[ProfileContext, Depends(get_context)]
UowDep = Annotated[ProfileUnitOfWork, Depends(get_uow)]
DepsDep = Annotated[ProfileDeps, Depends(get_deps)]

__all__ = ["AdminPrincipal", "ContextDep", "CurrentPrincipal", "DepsDep", "UowDep"]
