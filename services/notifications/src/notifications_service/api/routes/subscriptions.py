"""Administrators register other departments' webhooks."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from mentor_shared.web.errors import error_responses
from notifications_service.api.deps import AdminPrincipal, ContextDep, UowDep
from notifications_service.api.schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
)
from notifications_service.service import commands

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 422),
)
async def create_subscription(
    body: SubscriptionCreate, _admin: AdminPrincipal, uow: UowDep, context: ContextDep
) -> SubscriptionCreated:
    """Register a webhook URL and its filters.

    The answer carries the Standard Webhooks signing secret the service made
    for it (``whsec_...``), this once: it is never shown again. 422
    ``webhook_url_refused`` when the URL is not https or its host resolves to
    a loopback, private, link-local, multicast, unspecified, reserved or cloud
    metadata address (``details.reason`` says which).
    """
    subscription = await commands.add_subscription(
        uow,
        context.webhook_guard,
        context.sealer,
        url=str(body.url),
        department=body.department,
        match_events=list(body.match_events) if body.match_events is not None else None,
    )
    return SubscriptionCreated.model_validate(subscription)


@router.get("", response_model=list[SubscriptionPublic], responses=error_responses(401, 403))
async def list_subscriptions(_admin: AdminPrincipal, uow: UowDep) -> list[SubscriptionPublic]:
    """Every subscription, with how many deliveries are in each state."""
    found = await commands.list_subscriptions_with_counts(uow)
    return [
        SubscriptionPublic.model_validate(subscription).model_copy(update={"deliveries": counts})
        for subscription, counts in found
    ]


@router.delete(
    "/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=error_responses(401, 403, 404),
)
async def delete_subscription(
    subscription_id: str, _admin: AdminPrincipal, uow: UowDep
) -> Response:
    """Remove a subscription; its pending deliveries are dropped."""
    await commands.delete_subscription(uow, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
