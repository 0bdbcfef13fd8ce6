"""Ports of the outbox and inbox, shared by every store adapter."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, Self

from mentor_shared.events.envelope import Envelope
from mentor_shared.events.registry import REGISTRY

# (topic, partition) -> one past the first offset of the last batch written there:
# the broker must hold at least that much, or it lost data.
PartitionMarks = dict[tuple[str, int], int]

TRANSACTIONAL_LANE = 0
"""Outbox lane of everything a person is waiting for (the default)."""
BULK_LANE = 1
"""Outbox lane of bulk work (an import's thousands of events): the relay publishes
these only when no transactional record is waiting, so a sign-up's verification
email never queues behind an import. Per key, write order still holds."""


@dataclass(frozen=True)
class OutboxRecord:
    """One event waiting in (or retained by) the outbox.

    A record whose ``payload`` is None is a tombstone: published with a null value
    under its key, so that a compacted topic forgets every earlier record of the key.
    """

    seq: int
    event_id: str
    topic: str
    key: str
    payload: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    @property
    def is_tombstone(self) -> bool:
        """Whether this record is published with a null value."""
        return self.payload is None

    @classmethod
    def headers_from_json(cls, raw: str) -> tuple[tuple[str, bytes], ...]:
        """Headers as stored (a JSON object of strings)."""
        return tuple((k, v.encode()) for k, v in json.loads(raw).items())


def outbox_fields(envelope: Envelope) -> tuple[str, str, str, bytes, str]:
    """(event_id, topic, key, payload, headers JSON) for an envelope about to be stored.

    The headers are the Kafka record headers the relay publishes: the event's type
    and version, the correlation and request ids, and the W3C trace context
    (``traceparent``, ``tracestate``) when tracing is on.
    """
    spec = REGISTRY.spec(envelope.type, envelope.version)
    headers = {"event_type": envelope.type, "event_version": str(envelope.version)}
    if envelope.correlation_id:
        headers["correlation_id"] = envelope.correlation_id
    from mentor_shared.context import current_request_id

    request_id = current_request_id()
    if request_id:
        headers["request_id"] = request_id
    from mentor_shared.tracing import trace_headers

    # The span writing the event (the request's, or a consumer's): the relay publishes
    # it as ``traceparent``, and the consumer's processing span becomes its child.
    headers.update(trace_headers())
    return str(envelope.id), spec.topic, envelope.subject, envelope.to_bytes(), json.dumps(headers)


@dataclass(frozen=True)
class Tombstone:
    """A null-value record for ``key`` on ``topic``, queued after an erasure."""

    topic: str
    key: str


def tombstone_fields(tombstone: Tombstone) -> tuple[str, str, str, str]:
    """(event_id, topic, key, headers JSON) for a tombstone about to be stored.

    The id is fresh: the outbox needs one per row, and consumers never see it (they
    skip null values before reading anything else).
    """
    return str(uuid.uuid4()), tombstone.topic, tombstone.key, json.dumps({"tombstone": "true"})


@dataclass(frozen=True)
class OutboxCounts:
    """How much the outbox holds."""

    unsent: int
    retained: int
    oldest_unsent_at: float | None = None
    """Unix time the oldest unsent event was written, or None when all are sent."""


class OutboxStore(Protocol):
    """What the relay needs from a service's outbox."""

    async def unsent(self, limit: int) -> list[OutboxRecord]:
        """Unsent records, transactional ones first, each key's in write order.

        The transactional records come first in write order, except one whose key
        has an earlier unsent bulk record; then the rest, in write order.
        """
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

    def add_event(self, event: Envelope, *, bulk: bool = False) -> None:
        """Queue an event; it is written to the outbox by :meth:`commit`.

        ``bulk``: the event belongs to bulk work and goes in the bulk lane, which
        the relay publishes after every transactional record waiting.
        """
        ...

    def add_tombstone(self, topic: str, key: str) -> None:
        """Queue a tombstone (null value) for ``key`` on ``topic``.

        Written by :meth:`commit` after this unit of work's events, so on the topic
        it follows them (for example ``profile.deleted``) under the same key.
        """
        ...

    async def drop_outbox_for_subject(self, subject: str) -> int:
        """Delete every outbox row keyed by ``subject``, sent or not; returns how many.

        For an erasure, inside its transaction: nothing retained for replay can then
        publish the person's data again. Events and tombstones queued in this unit
        of work are written afterwards by :meth:`commit`, so the deletion event
        itself is kept.
        """
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
