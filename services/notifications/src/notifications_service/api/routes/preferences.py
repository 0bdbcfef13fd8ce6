"""The caller's notification preferences and one-click unsubscribe."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from mentor_shared.web.errors import error_responses
from notifications_service.api.deps import ContextDep, CurrentPrincipal, UowDep
from notifications_service.api.schemas import PreferencesPublic, PreferencesUpdate
from notifications_service.domain.model import ACCOUNT_KINDS, KINDS, Preferences
from notifications_service.service import commands

router = APIRouter(prefix="/v1", tags=["preferences"])


KIND_NAMES = {
    "verification": "email address confirmation",
    "password_reset": "password reset",
    "claim": "account set-up",
    "request_received": "new mentoring request",
    "request_answered": "answers to mentoring requests",
    "reminder": "reminder",
    "message": "new message",
    "session": "session",
    "match_ended": "mentoring ended",
    "digest": "daily summary",
}


def to_public(preferences: Preferences) -> PreferencesPublic:
    """Every kind with its channel."""
    return PreferencesPublic(
        channels={kind: preferences.channel_for(kind) for kind in KINDS},
        daily_digest=preferences.daily_digest,
    )


@router.get("/preferences", response_model=PreferencesPublic, responses=error_responses(401))
async def get_preferences(principal: CurrentPrincipal, uow: UowDep) -> PreferencesPublic:
    """The caller's channel for each kind of notification."""
    return to_public(await commands.get_preferences(uow, principal.id))


@router.put("/preferences", response_model=PreferencesPublic, responses=error_responses(401, 422))
async def put_preferences(
    body: PreferencesUpdate, principal: CurrentPrincipal, uow: UowDep
) -> PreferencesPublic:
    """Change channels (email, in_app or off) and the daily digest flag."""
    preferences = await commands.update_preferences(
        uow,
        principal.id,
        channels={kind: channel for kind, channel in body.channels.items()},
        daily_digest=body.daily_digest,
    )
    return to_public(preferences)


def _page(title: str, text: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - Mentor Match</title></head>"
        '<body style="font-family: Helvetica, Arial, sans-serif; color: #0b0c0c; '
        'max-width: 640px; margin: 30px auto; padding: 0 15px; font-size: 19px;">'
        f"<main><h1>{escape(title)}</h1><p>{escape(text)}</p></main></body></html>"
    )


async def _unsubscribe(token: str, context: ContextDep, uow: UowDep) -> Response:
    kind = await commands.unsubscribe(uow, context.notify_config.unsubscribe_secret, token)
    name = KIND_NAMES[kind]
    if kind == "digest":
        page = _page(
            "You have unsubscribed",
            "We will not email you daily summaries any more, nor an email each time. You "
            "will still see your notifications when you sign in. You can change this in "
            "your notification settings.",
        )
    elif kind in ACCOUNT_KINDS:
        page = _page(
            "You do not need to unsubscribe",
            f"We only send {name} emails when you ask for one, so there is nothing to stop.",
        )
    else:
        page = _page(
            "You have unsubscribed",
            f"We will not email you about {name}s any more. You will still see them when "
            "you sign in. You can change this in your notification settings.",
        )
    return HTMLResponse(page)


@router.get("/unsubscribe", response_class=HTMLResponse, responses=error_responses(400, 410))
async def unsubscribe_link(
    token: Annotated[str, Query(max_length=1000)], context: ContextDep, uow: UowDep
) -> Response:
    """Stop one kind of email from the link in it; no sign-in needed."""
    return await _unsubscribe(token, context, uow)


@router.post("/unsubscribe", response_class=HTMLResponse, responses=error_responses(400, 410))
async def unsubscribe_one_click(
    token: Annotated[str, Query(max_length=1000)], context: ContextDep, uow: UowDep
) -> Response:
    """RFC 8058 one-click unsubscribe, posted by mail programs."""
    return await _unsubscribe(token, context, uow)
