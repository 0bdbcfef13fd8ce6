"""Conversations, messages, read receipts, reports and the live stream."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import StreamingResponse

from mentor_shared.auth import Principal
from mentor_shared.clock import utc_now
from mentor_shared.limits import enforce
from mentor_shared.storage.conflicts import retry_on_conflict
from mentor_shared.web.errors import Unprocessable, error_responses
from messaging_service.api.deps import ContextDep, CurrentPrincipal, StreamPrincipal
from messaging_service.api.schemas import (
    ConversationList,
    ConversationPublic,
    MessageCreate,
    MessagePage,
    MessagePublic,
    ReadReceiptCreate,
    ReadReceiptPublic,
    ReportCreate,
    ReportPublic,
)
from messaging_service.api.views import (
    conversations_with_people,
    message_public,
    other_participant_public,
    participant_conversation,
)
from messaging_service.bootstrap import MessagingContext
from messaging_service.domain.commands import MarkRead, ReportMessage, SendMessage
from messaging_service.domain.model import Message
from messaging_service.service import handlers

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

MAX_PAGE_SIZE = 200
# A reconnecting stream replays at most this many missed messages; older ones
# are fetched with the paginated list.
MAX_REPLAY = 500


@router.get("", response_model=ConversationList, responses=error_responses(401))
async def list_conversations(principal: CurrentPrincipal, ctx: ContextDep) -> ConversationList:
    """The caller's conversations, newest activity first, with unread counts."""
    summaries, people = await conversations_with_people(ctx.read_model, principal.id)
    items = []
    for summary in summaries:
        c = summary.conversation
        items.append(
            ConversationPublic(
                id=c.id,
                match_id=c.match_id,
                status=c.status,
                read_only=not c.writable,
                closed_reason=c.closed_reason,
                other_participant=other_participant_public(c, principal.id, people),
                unread_count=summary.unread_count,
                last_message_seq=c.last_seq,
                last_activity_at=c.last_activity_at,
                created_at=c.created_at,
            )
        )
    return ConversationList(items=items)


def _encode_cursor(before_seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": before_seq}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        before = value["before"]
    except (binascii.Error, ValueError, TypeError, KeyError) as exc:
        raise Unprocessable("The cursor is not valid", code="invalid_cursor") from exc
    if not isinstance(before, int) or before < 1:
        raise Unprocessable("The cursor is not valid", code="invalid_cursor")
    return before


@router.get(
    "/{conversation_id}/messages",
    response_model=MessagePage,
    responses=error_responses(401, 404, 422),
)
async def list_messages(
    conversation_id: str,
    principal: CurrentPrincipal,
    ctx: ContextDep,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE_SIZE)] = None,
) -> MessagePage:
    """Messages newest first; the cursor is a position in the conversation's sequence.

    New messages get higher sequence numbers, so following ``next_cursor``
    while others write neither repeats nor skips a message.
    """
    await participant_conversation(ctx.read_model, conversation_id, principal)
    before = _decode_cursor(cursor) if cursor is not None else None
    size = limit or ctx.settings.page_size_default
    messages = await ctx.read_model.messages_before(conversation_id, before, size + 1)
    page = messages[:size]
    more = len(messages) > size
    return MessagePage(
        items=[message_public(m) for m in page],
        next_cursor=_encode_cursor(page[-1].seq) if more and page else None,
    )


@router.post(
    "/{conversation_id}/messages",
    response_model=MessagePublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 422, 429),
)
async def send_message(
    conversation_id: str, body: MessageCreate, principal: CurrentPrincipal, ctx: ContextDep
) -> MessagePublic:
    """Post a message (429 with ``Retry-After`` past the per-person rate limit)."""
    # Counted in the store, outside the message's own transaction: every
    # replica shares one count per person.
    await enforce(
        ctx.limiter,
        ctx.message_limit,
        principal.id,
        message="You are sending messages too quickly",
    )
    command = SendMessage(conversation_id=conversation_id, sender_id=principal.id, body=body.body)
    message = await retry_on_conflict(
        lambda: handlers.send_message(command, ctx.uow(), now=utc_now())
    )
    # After the commit: stream subscribers never see a message that was rolled back.
    ctx.fanout.publish(message)
    return message_public(message)


@router.post(
    "/{conversation_id}/read",
    response_model=ReadReceiptPublic,
    responses=error_responses(401, 404, 422),
)
async def mark_read(
    conversation_id: str, body: ReadReceiptCreate, principal: CurrentPrincipal, ctx: ContextDep
) -> ReadReceiptPublic:
    """Mark everything up to and including ``message_id`` as read."""
    mark = await handlers.mark_read(
        MarkRead(
            conversation_id=conversation_id, reader_id=principal.id, message_id=body.message_id
        ),
        ctx.uow(),
    )
    unread = await ctx.read_model.unread_count(conversation_id, principal.id)
    return ReadReceiptPublic(last_read_seq=mark, unread_count=unread)


@router.post(
    "/{conversation_id}/messages/{message_id}/report",
    response_model=ReportPublic,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 404, 422),
)
async def report_message(
    conversation_id: str,
    message_id: str,
    body: ReportCreate,
    principal: CurrentPrincipal,
    ctx: ContextDep,
) -> ReportPublic:
    """Report a message to the administrators."""
    report = await handlers.report_message(
        ReportMessage(
            conversation_id=conversation_id,
            message_id=message_id,
            reporter_id=principal.id,
            reason=body.reason,
        ),
        ctx.uow(),
        now=utc_now(),
    )
    return ReportPublic.model_validate(report, from_attributes=True)


def _sse(message: Message) -> bytes:
    data = message_public(message).model_dump_json()
    return f"id: {message.seq}\nevent: message\ndata: {data}\n\n".encode()


def _sse_end(reason: str) -> bytes:
    return f"event: end\ndata: {json.dumps({'reason': reason})}\n\n".encode()


async def _still_allowed(ctx: MessagingContext, conversation_id: str, person_id: str) -> bool:
    # The store is shared by every replica, so this also sees an erasure that
    # another replica's consumer applied.
    if await ctx.erased.contains(person_id):
        return False
    conversation = await ctx.read_model.conversation(conversation_id)
    return conversation is not None and conversation.is_participant(person_id)


async def _event_stream(
    ctx: MessagingContext, conversation_id: str, principal: Principal, replay_after: int | None
) -> AsyncIterator[bytes]:
    keepalive = ctx.settings.stream_keepalive_s
    expires_at = principal.expires_at
    # Subscribe before replaying, so nothing written in between is missed.
    with ctx.fanout.subscribe(conversation_id, principal.id) as subscription:
        yield b"retry: 3000\n: stream open\n\n"
        replayed_up_to = 0
        if replay_after is not None:
            for message in await ctx.read_model.messages_after(
                conversation_id, replay_after, MAX_REPLAY
            ):
                replayed_up_to = message.seq
                yield _sse(message)
        while subscription.open:
            wait = keepalive
            if expires_at is not None:
                # The token proved who is listening only until it expires.
                left = expires_at - time.time()
                if left <= 0:
                    yield _sse_end("token_expired")
                    return
                wait = min(wait, left)
            try:
                # Not asyncio.wait_for, which on Python 3.11 can swallow a cancellation
                # (a client gone, a shutdown) that arrives as a message does.
                async with asyncio.timeout(wait):
                    first = await subscription.queue.get()
            except TimeoutError:
                if expires_at is not None and time.time() >= expires_at:
                    continue
                if not await _still_allowed(ctx, conversation_id, principal.id):
                    yield _sse_end("access_revoked")
                    return
                # Keeps proxies from closing an idle stream, and finds gone clients.
                yield b": keep-alive\n\n"
                continue
            # Everything already queued goes out in one write: one stream competes
            # with every request for the event loop, and one message per turn
            # would let a busy conversation outrun it.
            batch = [first]
            while not subscription.queue.empty():
                batch.append(subscription.queue.get_nowait())
            chunk = b"".join(_sse(m) for m in batch if m is not None and m.seq > replayed_up_to)
            if chunk and not subscription.ended:
                yield chunk
        if subscription.ended:
            yield _sse_end("access_revoked")


@router.get(
    "/{conversation_id}/stream",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
        **error_responses(401, 404),
    },
)
async def stream_messages(
    conversation_id: str,
    principal: StreamPrincipal,
    ctx: ContextDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """New messages as server-sent events (``event: message``, ``id`` = seq).

    Accepts ``?access_token=`` as well as the header, for ``EventSource``. A
    client reconnecting with ``Last-Event-ID`` first gets the messages it
    missed. Keep-alive comments every 15 s (``STREAM_KEEPALIVE_S``).

    The stream ends with ``event: end`` when the access token expires (``data``
    ``{"reason": "token_expired"}``: reconnect with a fresh token and
    ``Last-Event-ID``) or when the caller's account is erased or they are no
    longer in the conversation (``{"reason": "access_revoked"}``).
    """
    await participant_conversation(ctx.read_model, conversation_id, principal)
    replay_after = (
        int(last_event_id) if last_event_id is not None and last_event_id.isdigit() else None
    )
    return StreamingResponse(
        _event_stream(ctx, conversation_id, principal, replay_after),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
