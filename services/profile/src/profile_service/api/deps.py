"""FastAPI dependencies of the profile service (``Annotated`` aliases)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from mentor_shared.auth import AdminPrincipal, CurrentPrincipal
from mentor_shared.limits import enforce
from mentor_shared.web import client_ip
from profile_service.bootstrap import ProfileContext
from profile_service.service.deps import ProfileDeps
from profile_service.service.limits import PerIpLimit
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


def per_ip(name: PerIpLimit) -> Any:
    """A route dependency that counts the call against one of the per-IP limits.

    Past the limit the route answers 429 ``rate_limited`` with ``Retry-After``
    before doing any work (no password is hashed, no email queued).
    """

    async def count_call(request: Request, deps: DepsDep) -> None:
        await enforce(
            deps.limiter,
            deps.limits.per_ip(name),
            client_ip(request),
            message="Too many requests from your network. Wait a while and try again.",
        )

    return Depends(count_call)


__all__ = ["AdminPrincipal", "ContextDep", "CurrentPrincipal", "DepsDep", "UowDep", "per_ip"]
