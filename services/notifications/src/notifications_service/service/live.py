"""In-process fan-out of new notifications to open SSE streams.

Fed after a transaction commits, so a stream never shows a notification that
was rolled back. Each stream has a bounded queue; a stream that falls that far
behind is dropped (the client reconnects and reads the list).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

import structlog

from notifications_service.domain.model import Notification

log = structlog.get_logger(__name__)


class LiveNotifications:
    """Subscribers per recipient, each with its own queue."""

    def __init__(self, queue_size: int = 100) -> None:
        self._queue_size = queue_size
        self._subscribers: defaultdict[str, set[asyncio.Queue[Notification | None]]] = defaultdict(
            set
        )

    def subscribe(self, recipient_id: str) -> asyncio.Queue[Notification | None]:
        """A queue receiving the recipient's new notifications; None means closed."""
        queue: asyncio.Queue[Notification | None] = asyncio.Queue(self._queue_size)
        self._subscribers[recipient_id].add(queue)
        return queue

    def unsubscribe(self, recipient_id: str, queue: asyncio.Queue[Notification | None]) -> None:
        """Stop feeding a queue."""
        queues = self._subscribers.get(recipient_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._subscribers[recipient_id]

    def publish(self, notifications: list[Notification]) -> None:
        """Hand committed notifications to their recipients' streams."""
        for notification in notifications:
            for queue in list(self._subscribers.get(notification.recipient_id, ())):
                try:
                    queue.put_nowait(notification)
                except asyncio.QueueFull:
                    self.unsubscribe(notification.recipient_id, queue)
                    log.warning("live_stream_dropped", recipient_id=notification.recipient_id)

    def close_for(self, recipient_ids: list[str]) -> None:
        """End the streams of these people (they were erased)."""
        for recipient_id in recipient_ids:
            for queue in list(self._subscribers.pop(recipient_id, ())):
                _end(queue)

    def close_all(self) -> None:
        """End every stream (shutdown)."""
        for queues in list(self._subscribers.values()):
            for queue in list(queues):
                _end(queue)
        self._subscribers.clear()

    @property
    def streams(self) -> int:
        """How many streams are open."""
        return sum(len(q) for q in self._subscribers.values())


def _end(queue: asyncio.Queue[Notification | None]) -> None:
    """Tell a stream to end, even when its queue is full (the end matters more than
    the oldest notification it has not sent yet)."""
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(None)
