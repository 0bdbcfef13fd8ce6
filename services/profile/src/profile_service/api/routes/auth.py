"""Sign-in, refresh, sign-out and the public signing keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, status

from mentor_shared.web.errors import error_responses
from profile_service.api.deps import ContextDep, DepsDep, UowDep, per_ip
from profile_service.api.schemas import RefreshRequest, TokenResponse
from profile_service.domain import commands
from profile_service.service import sign_in as sign_in_service
from profile_service.service.sign_in import TokenPair

router = APIRouter(tags=["auth"])


def _token_response(pair: TokenPair) -> TokenResponse:
    return TokenResponse(
        access_token=pair.access.token,
        refresh_token=pair.refresh_token,
        expires_in=pair.access.expires_in,
    )


@router.post(
    "/v1/auth/token",
    response_model=TokenResponse,
    responses=error_responses(401, 403, 413, 422, 429),
    dependencies=[per_ip("sign_in_per_ip")],
)
async def sign_in(
    username: Annotated[str, Form(min_length=1, max_length=320, description="Email address")],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
    uow: UowDep,
    deps: DepsDep,
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
) -> TokenResponse:
    """OAuth2 password grant: email and password for an access and a refresh token.

    429 ``too_many_sign_in_attempts`` after ``LOCKOUT_MAX_FAILURES`` attempts without
    success for the address in ``LOCKOUT_WINDOW_S``; 429 ``rate_limited`` past the
    per-IP limit. Both carry ``Retry-After``.
    """
    pair = await sign_in_service.sign_in(
        commands.SignIn(email=username, password=password), uow, deps
    )
    return _token_response(pair)


@router.post("/v1/auth/refresh", response_model=TokenResponse, responses=error_responses(401, 422))
async def refresh(body: RefreshRequest, uow: UowDep, deps: DepsDep) -> TokenResponse:
    """Rotate a refresh token; reusing an old one ends the whole session."""
    pair = await sign_in_service.refresh(commands.RefreshSession(body.refresh_token), uow, deps)
    return _token_response(pair)


@router.post(
    "/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(422)
)
async def sign_out(body: RefreshRequest, uow: UowDep, deps: DepsDep) -> None:
    """End the session the refresh token belongs to (unknown tokens are ignored)."""
    await sign_in_service.sign_out(commands.SignOut(body.refresh_token), uow, deps)


@router.get("/.well-known/jwks.json")
async def jwks(context: ContextDep) -> dict[str, Any]:
    """The public keys that verify this service's access tokens."""
    return context.issuer.jwks()
