"""Departments' webhook subscriptions to anonymised match events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_service.backend import ApiError, attempt, item_with_id
from web_service.deps import AdminSession, BackendDep, CheckedForm
from web_service.forms import FormErrors, errors_from_api, text, texts
from web_service.redirects import redirect
from web_service.reference import department_names, reference_lists
from web_service.rendering import FormPage, not_found, render

router = APIRouter()

# The anonymised match events a department can subscribe to, as the notifications
# service names them.
MATCH_EVENTS = {
    "requested": "Request sent",
    "accepted": "Request accepted",
    "declined": "Request declined",
    "withdrawn": "Request withdrawn",
    "expired": "Request expired",
    "ended": "Mentoring ended",
}
DELIVERY_STATES = {"delivered": "delivered", "pending": "waiting", "parked": "given up"}
SUBSCRIPTION_FORM = FormPage(
    "admin/subscription_new.html", "Add a webhook subscription", {"event_names": MATCH_EVENTS}
)


async def _subscriptions(
    request: Request, backend: BackendDep, session: AdminSession
) -> list[dict[str, Any]]:
    found = await backend.json("notifications", "GET", "/v1/subscriptions", session=session)
    items = [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []
    departments = await department_names(request)
    return [_described(item, departments) for item in items]


def _described(subscription: dict[str, Any], departments: dict[str, str]) -> dict[str, Any]:
    """The subscription with its department and events in words, as the pages show them."""
    department = subscription.get("department")
    events = [MATCH_EVENTS.get(event, event) for event in subscription.get("match_events") or []]
    return {
        **subscription,
        "department_name": departments.get(department, department)
        if department
        else "All departments",
        "events_text": ", ".join(events) if events else "All match events",
    }


@router.get("/subscriptions")
async def subscriptions(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Departments' webhooks, with how their deliveries are going."""
    return render(
        request,
        "admin/subscriptions.html",
        title="Webhook subscriptions",
        items=await _subscriptions(request, backend, session),
        delivery_states=DELIVERY_STATES,
    )


@router.get("/subscriptions/new")
async def new_subscription_form(request: Request, session: AdminSession) -> Response:
    """Register a department's webhook."""
    return await _render_subscription_form(
        request, {"department": "", "url": "", "events": list(MATCH_EVENTS)}
    )


async def _render_subscription_form(
    request: Request,
    values: dict[str, Any],
    errors: FormErrors | None = None,
) -> Response:
    lists = await reference_lists(request)
    return SUBSCRIPTION_FORM.show(request, errors, values=values, lists=lists)


@router.post("/subscriptions/new")
async def create_subscription(
    request: Request, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Create the subscription; the page that answers shows its signing secret, once.

    The notifications service makes the secret and returns it only in this answer.
    """
    values: dict[str, Any] = {
        "department": text(form, "department"),
        "url": text(form, "url"),
        "events": [event for event in texts(form, "events") if event in MATCH_EVENTS],
    }
    errors = FormErrors()
    if not values["url"]:
        errors.add("url", "Enter the address that will receive the events")
    if not values["events"]:
        errors.add("events", "Select at least one event")
    if errors:
        return await _render_subscription_form(request, values, errors)
    every_event = set(values["events"]) == set(MATCH_EVENTS)
    created = await attempt(
        backend.json(
            "notifications",
            "POST",
            "/v1/subscriptions",
            session=session,
            json={
                "url": values["url"],
                "department": values["department"] or None,
                # All of them now means all of them later too, should events be added.
                "match_events": None if every_event else values["events"],
            },
        ),
        422,
    )
    if isinstance(created, ApiError):
        fields = {"url": "url", "department": "department", "match_events": "events"}
        errors = errors_from_api(created, fields, "url")
        return await _render_subscription_form(request, values, errors)
    # Rendered here rather than after a redirect, so the secret is never stored in the
    # session: this response is the only place it appears (and it is not cached).
    if not isinstance(created, dict):
        created = {}
    return render(
        request,
        "admin/subscription_created.html",
        title="Webhook subscription added",
        subscription=_described(created, await department_names(request)),
        secret=created.get("secret"),
    )


@router.get("/subscriptions/{subscription_id}/delete")
async def delete_subscription_form(
    request: Request, subscription_id: str, session: AdminSession, backend: BackendDep
) -> Response:
    """Check before deleting: the department stops receiving events."""
    subscription = item_with_id(await _subscriptions(request, backend, session), subscription_id)
    if subscription is None:
        return not_found(
            request, "This subscription does not exist. It may have been deleted already."
        )
    return render(
        request,
        "admin/subscription_delete.html",
        title="Delete this webhook subscription",
        subscription=subscription,
    )


@router.post("/subscriptions/{subscription_id}/delete")
async def delete_subscription(
    subscription_id: str, form: CheckedForm, session: AdminSession, backend: BackendDep
) -> Response:
    """Delete it; its deliveries still waiting are dropped."""
    deleted = await attempt(
        backend.call(
            "notifications", "DELETE", f"/v1/subscriptions/{subscription_id}", session=session
        ),
        404,
    )
    if isinstance(deleted, ApiError):
        session.add_flash("That subscription had already been deleted", "", "info")
    else:
        session.add_flash("The webhook subscription has been deleted", "")
    return redirect("/admin/subscriptions")
