"""Ports of the outbox and inbox, shared by every store adapter."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from mentor_shared.events.envelope import Envelope
from mentor_shared.events.registry import REGISTRY

# (topic, partition) -> one past the first offset of the last batch written there:
# the broker must hold at least that much, or it lost data.
PartitionMarks = dict[tuple[str, int], int]


@dataclass(frozen=True)
class OutboxRecord:
    """One event waiting in (or retained by) the outbox."""

    seq: int
    event_id: str
    topic: str
    key: str
    payload: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def headers_from_json(cls, raw: str) -> tuple[tuple[str, bytes], ...]:
        """Headers as stored (a JSON object of strings)."""
        return tuple((k, v.encode()) for k, v in json.loads(raw).items())


def outbox_fields(envelope: Envelope) -> tuple[str, str, str, bytes, str]:
    """(event_id, topic, key, payload, headers JSON) for an envelope about to be stored."""
    spec = REGISTRY.spec(envelope.type, envelope.version)
    headers = {"event_type": envelope.type, "event_version": str(envelope.version)}
    if envelope.correlation_id:
        headers["correlation_id"] = envelope.correlation_id
    from mentor_shared.context import current_request_id

    request_id = current_request_id()
    if request_id:
        headers["request_id"] = request_id
    return str(envelope.id), spec.topic, envelope.subject, envelope.to_bytes(), json.dumps(headers)


@dataclass(frozen=True)
class OutboxCounts:
    """How much the outbox holds."""

    unsent: int
    retained: int


class OutboxStore(Protocol):
    """What the relay needs from a service's outbox."""

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        """Unsent records in the order they were written."""
        ...

    async def mark_sent(self, seqs: Sequence[int], marks: Mapping[tuple[str, int], int]) -> None:
        """Mark records sent and raise the partition marks, in one transaction."""
        ...

    async def partition_marks(self) -> PartitionMarks:
        """Next offset per partition that the broker should hold, from what was sent."""
        ...

    async def requeue_retained(self, since: float) -> int:
        """After broker data loss: mark records sent since ``since`` unsent and forget marks."""
        ...

    async def purge_sent_before(self, before: float) -> int:
        """Drop sent records older than the retention window."""
        ...

    async def counts(self) -> OutboxCounts:
        """Unsent and retained totals."""
        ...


class UnitOfWork(Protocol):
    """State changes and their outgoing events, committed in one local transaction.

    Use as ``async with uow: ...; await uow.commit()``; leaving the block
    without committing rolls everything back.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc_info: object) -> None: ...

    def add_event(self, event: Envelope) -> None:
        """Queue an event; it is written to the outbox by :meth:`commit`."""
        ...

    async def record_inbox(self, consumer: str, event_id: str) -> bool:
        """Remember that ``consumer`` processed ``event_id``; False if it already had."""
        ...

    async def record_inbox_many(self, consumer: str, event_ids: Sequence[str]) -> set[str]:
        """Record a batch; returns the ids that were new (the rest were processed before)."""
        ...

    async def commit(self) -> None:
        """Write the queued events to the outbox and commit everything."""
        ...
