"""The versioned envelope every event travels in (DESIGN.md, "Events")."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from mentor_shared.context import current_correlation_id


class EventData(BaseModel):
    """Base of every event payload; subclasses declare their type, version and topic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    event_type: ClassVar[str]
    event_version: ClassVar[int] = 1
    topic: ClassVar[str]


class Envelope(BaseModel):
    """An event as it travels: metadata plus the payload of its registered type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    source: str = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=200, description="Partition key")
    correlation_id: str | None = Field(default=None, max_length=200)
    data: dict[str, Any]
    _payload: EventData | None = PrivateAttr(default=None)

    def payload(self) -> EventData:
        """The typed payload, validated against the registered schema (parsed once)."""
        if self._payload is None:
            from mentor_shared.events.registry import REGISTRY

            self._payload = REGISTRY.parse_payload(self)
        return self._payload

    def to_bytes(self) -> bytes:
        """JSON as it goes on the wire."""
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse and validate the envelope and its payload; raises on anything malformed."""
        envelope = cls.model_validate_json(raw)
        envelope.payload()
        return envelope


def new_event(
    data: EventData,
    *,
    subject: str,
    source: str,
    correlation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """Wrap a payload in a new envelope, carrying the current correlation id."""
    return Envelope(
        type=data.event_type,
        version=data.event_version,
        occurred_at=occurred_at or datetime.now(UTC),
        source=source,
        subject=subject,
        correlation_id=correlation_id or current_correlation_id(),
        data=data.model_dump(mode="json"),
    )
