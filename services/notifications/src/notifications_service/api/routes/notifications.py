"""The caller's in-app notifications: list, mark read, live stream."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from mentor_shared.clock import from_epoch, to_epoch
from mentor_shared.web.errors import BadRequest, error_responses
from notifications_service.api.deps import ContextDep, CurrentPrincipal, StreamPrincipal, UowDep
from notifications_service.api.schemas import NotificationList, NotificationPublic
from notifications_service.service import commands

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

HEARTBEAT_S = 15.0


def _encode_cursor(cursor: tuple[datetime, str]) -> str:
    raw = json.dumps([to_epoch(cursor[0]), cursor[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[datetime, str]:
    try:
        at, notification_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return from_epoch(float(at)), str(notification_id)
    except (ValueError, TypeError) as exc:
        raise BadRequest("The cursor is not valid", code="invalid_cursor") from exc


@router.get("", response_model=NotificationList, responses=error_responses(400, 401))
async def list_notifications(
    principal: CurrentPrincipal,
    uow: UowDep,
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationList:
    """The caller's notifications, newest first, with the unread count."""
    before = _decode_cursor(cursor) if cursor else None
    page = await commands.list_notifications(uow, principal.id, before=before, limit=limit)
    return NotificationList(
        items=[NotificationPublic.model_validate(n) for n in page.items],
        next_cursor=_encode_cursor(page.next_cursor) if page.next_cursor else None,
        unread_count=page.unread,
    )


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=error_responses(401, 404),
)
async def mark_read(
    notification_id: str, principal: CurrentPrincipal, uow: UowDep
) -> NotificationPublic:
    """Mark one of the caller's notifications read (404 for anyone else's)."""
    notification = await commands.mark_read(uow, principal.id, notification_id)
    return NotificationPublic.model_validate(notification)


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(401)},
)
async def stream(
    request: Request, principal: StreamPrincipal, context: ContextDep
) -> StreamingResponse:
    """Server-sent events: ``event: notification`` with the notification as JSON.

    Takes ``Authorization: Bearer`` or ``?access_token=`` (EventSource cannot
    send headers). A comment line every 15 s keeps proxies from closing it.
    The stream ends when the token expires, with a last ``event: expired``:
    the client reconnects with a fresh token. It also ends when the person's
    account is erased.
    """
    queue = context.live.subscribe(principal.id)
    expires_at = principal.expires_at

    async def events() -> AsyncIterator[bytes]:
        try:
            yield b": connected\n\n"
            while True:
                wait_s = HEARTBEAT_S
                if expires_at is not None:
                    left_s = expires_at - time.time()
                    if left_s <= 0:
                        yield b"event: expired\ndata: {}\n\n"
                        return
                    wait_s = min(wait_s, left_s)
                try:
                    # Not asyncio.wait_for, which on Python 3.11 can swallow a
                    # cancellation (a client gone, a shutdown) that arrives with an item.
                    async with asyncio.timeout(wait_s):
                        item = await queue.get()
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    if expires_at is None or time.time() < expires_at:
                        yield b": keep-alive\n\n"
                    continue
                if item is None:
                    return
                data = NotificationPublic.model_validate(item).model_dump_json()
                yield f"id: {item.id}\nevent: notification\ndata: {data}\n\n".encode()
        finally:
            context.live.unsubscribe(principal.id, queue)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
