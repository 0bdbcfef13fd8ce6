"""In-process fan-out of new messages to the conversation's stream subscribers.

Fed after the write commits, so a subscriber never sees a message that was
rolled back. Only subscribers on the same process are reached: with several
replicas, a follow-up would fan out through the ``message.sent`` topic (each
replica consuming it with its own group) instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import structlog

from messaging_service.domain.model import Message

log = structlog.get_logger(__name__)


class Subscription:
    """One stream subscriber's queue.

    A subscriber that falls ``max_queue`` messages behind is marked overflowed
    instead of growing without bound; its stream ends and the client resumes
    with ``Last-Event-ID``, replaying from the store. A subscriber whose
    account is erased is ended: a None in the queue wakes its stream.
    """

    def __init__(self, conversation_id: str, person_id: str, max_queue: int) -> None:
        self.conversation_id = conversation_id
        self.person_id = person_id
        # One slot more than max_queue, so the wake-up for end() always fits.
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=max_queue + 1)
        self._max_queue = max_queue
        self.overflowed = False
        self.ended = False

    @property
    def open(self) -> bool:
        """Whether the stream should go on."""
        return not (self.overflowed or self.ended)

    def offer(self, message: Message) -> None:
        """Queue ``message`` unless the subscriber is too far behind."""
        if not self.open:
            return
        if self.queue.qsize() >= self._max_queue:
            self.overflowed = True
            log.warning("stream_subscriber_overflowed", conversation_id=self.conversation_id)
            return
        self.queue.put_nowait(message)

    def end(self) -> None:
        """End the stream at its next turn, even while it waits for a message."""
        if not self.ended:
            self.ended = True
            self.queue.put_nowait(None)


class MessageFanout:
    """Subscribers per conversation; ``publish`` never blocks the writer."""

    def __init__(self, max_queue: int = 1000) -> None:
        self._max_queue = max_queue
        self._subscribers: dict[str, set[Subscription]] = {}

    @contextmanager
    def subscribe(self, conversation_id: str, person_id: str) -> Iterator[Subscription]:
        """Receive the conversation's new messages, as ``person_id``, while the block runs."""
        subscription = Subscription(conversation_id, person_id, self._max_queue)
        self._subscribers.setdefault(conversation_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscribers.get(conversation_id)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[conversation_id]

    def publish(self, message: Message) -> int:
        """Hand ``message`` to every subscriber of its conversation; returns how many."""
        subscribers = self._subscribers.get(message.conversation_id, ())
        for subscription in subscribers:
            subscription.offer(message)
        return len(subscribers)

    def end_person(self, person_id: str) -> int:
        """End every stream ``person_id`` holds open (their account was erased)."""
        ended = 0
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                if subscription.person_id == person_id:
                    subscription.end()
                    ended += 1
        return ended

    def subscriber_count(self, conversation_id: str | None = None) -> int:
        """Subscribers of one conversation, or of all."""
        if conversation_id is not None:
            return len(self._subscribers.get(conversation_id, ()))
        return sum(len(s) for s in self._subscribers.values())
