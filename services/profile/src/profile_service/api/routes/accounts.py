"""Registration, verification, password change, reset and claim."""

from __future__ import annotations

from fastapi import APIRouter, status

from mentor_shared.web.errors import error_responses
from profile_service.api.deps import CurrentPrincipal, DepsDep, UowDep, per_ip
from profile_service.api.schemas import (
    AccountCreate,
    ClaimRequest,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    RegistrationAccepted,
    VerifyRequest,
)
from profile_service.domain import commands
from profile_service.service import accounts

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationAccepted,
    responses=error_responses(413, 422, 429),
    dependencies=[per_ip("register_per_ip")],
)
async def register(body: AccountCreate, uow: UowDep, deps: DepsDep) -> RegistrationAccepted:
    """Sign up with a work address; the answer is the same for a known address."""
    await accounts.register(
        commands.RegisterAccount(
            email=body.email, password=body.password, display_name=body.display_name
        ),
        uow,
        deps,
    )
    return RegistrationAccepted()


@router.post(
    "/verify", responses=error_responses(413, 422, 429), dependencies=[per_ip("token_per_ip")]
)
async def verify(body: VerifyRequest, uow: UowDep, deps: DepsDep) -> dict[str, bool]:
    """Confirm the address with the emailed token."""
    await accounts.verify_email(commands.VerifyEmail(body.token), uow, deps)
    return {"verified": True}


@router.post(
    "/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 413, 422, 429),
)
async def change_password(
    body: PasswordChange, principal: CurrentPrincipal, uow: UowDep, deps: DepsDep
) -> None:
    """Set a new password; every session of the account ends."""
    await accounts.change_password(
        commands.ChangePassword(
            account_id=principal.id,
            current_password=body.current_password,
            new_password=body.new_password,
        ),
        uow,
        deps,
    )


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    responses=error_responses(413, 422, 429),
    dependencies=[per_ip("password_reset_per_ip")],
)
async def request_password_reset(
    body: PasswordResetRequest, uow: UowDep, deps: DepsDep
) -> dict[str, str]:
    """Email a reset link if the address has an account (the answer never says).

    At most a few emails an hour go to one address (``ACCOUNT_EMAILS_PER_ADDRESS``);
    past that the answer is the same 202 and links already sent keep working.
    """
    await accounts.request_password_reset(commands.RequestPasswordReset(body.email), uow, deps)
    return {"message": "If this address has an account, we have sent it a link."}


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(413, 422, 429),
    dependencies=[per_ip("token_per_ip")],
)
async def reset_password(body: PasswordResetConfirm, uow: UowDep, deps: DepsDep) -> None:
    """Set a new password with the emailed token."""
    await accounts.reset_password(commands.ResetPassword(body.token, body.password), uow, deps)


@router.post(
    "/claim",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(413, 422, 429),
    dependencies=[per_ip("token_per_ip")],
)
async def claim(body: ClaimRequest, uow: UowDep, deps: DepsDep) -> None:
    """An imported coach takes over their account by setting a password."""
    await accounts.claim_account(commands.ClaimAccount(body.token, body.password), uow, deps)
