"""Live notification streams end when their person is erased, even when behind."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications_service.domain.model import Notification
from notifications_service.service.live import LiveNotifications


def note(n: int) -> Notification:
    return Notification(f"n{n}", "pat", "message", "New message", "", None, datetime.now(UTC))


async def test_a_full_stream_is_still_told_to_end_when_its_person_is_erased() -> None:
    live = LiveNotifications(queue_size=2)
    queue = live.subscribe("pat")
    live.publish([note(1), note(2)])
    assert queue.full()

    live.close_for(["pat"])

    received = [queue.get_nowait() for _ in range(queue.qsize())]
    assert received[-1] is None, "the stream would keep running until its token expired"
    live.publish([note(3)])
    assert queue.empty()
