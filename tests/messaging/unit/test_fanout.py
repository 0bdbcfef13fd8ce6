"""The in-process fan-out: ending an erased person's streams."""

from __future__ import annotations

from datetime import UTC, datetime

from messaging_service.domain.model import Conversation
from messaging_service.service.fanout import MessageFanout

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_ending_a_person_wakes_only_their_streams_and_drops_what_follows() -> None:
    fanout = MessageFanout(max_queue=10)
    conversation = Conversation.open("m1", "mentee", "mentor", NOW)
    with (
        fanout.subscribe(conversation.id, "mentee") as erased,
        fanout.subscribe(conversation.id, "mentor") as kept,
    ):
        fanout.publish(conversation.post("mentor", "one", NOW))
        fanout.publish(conversation.post("mentor", "two", NOW))

        assert fanout.end_person("mentee") == 1
        fanout.publish(conversation.post("mentor", "three", NOW))

        assert (erased.open, erased.overflowed) == (False, False)
        queued = [erased.queue.get_nowait() for _ in range(erased.queue.qsize())]
        assert [m.body if m else None for m in queued] == ["one", "two", None]
        assert kept.open
        delivered = [kept.queue.get_nowait() for _ in range(3)]
        assert [m.body if m else None for m in delivered] == ["one", "two", "three"]
    assert fanout.subscriber_count() == 0
