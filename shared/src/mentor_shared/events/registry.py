"""Which event types exist, their schema versions and the topic each travels on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from mentor_shared.events import schemas

if TYPE_CHECKING:
    from mentor_shared.events.envelope import Envelope, EventData


class UnknownEventError(ValueError):
    """An event whose type or version no one registered."""


@dataclass(frozen=True)
class EventSpec:
    """One registered event type at one version."""

    event_type: str
    version: int
    model: type[EventData]
    topic: str


class EventRegistry:
    """Looks up payload schemas by (type, version)."""

    def __init__(self, models: list[type[EventData]]) -> None:
        self._specs: dict[tuple[str, int], EventSpec] = {}
        for model in models:
            key = (model.event_type, model.event_version)
            if key in self._specs:
                raise ValueError(f"event {key} registered twice")
            self._specs[key] = EventSpec(model.event_type, model.event_version, model, model.topic)

    def __iter__(self) -> Iterator[EventSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: (s.topic, s.event_type, s.version)))

    def spec(self, event_type: str, version: int) -> EventSpec:
        """The spec for a type and version, or :class:`UnknownEventError`."""
        try:
            return self._specs[(event_type, version)]
        except KeyError:
            raise UnknownEventError(f"unknown event {event_type} v{version}") from None

    def parse_payload(self, envelope: Envelope) -> EventData:
        """Validate an envelope's data against its registered model."""
        spec = self.spec(envelope.type, envelope.version)
        try:
            return spec.model.model_validate(envelope.data)
        except ValidationError as exc:
            raise UnknownEventError(
                f"malformed {envelope.type} v{envelope.version}: {exc.error_count()} errors"
            ) from exc


REGISTRY = EventRegistry(schemas.ALL_EVENTS)


def topics() -> list[str]:
    """Every topic some registered event travels on."""
    return sorted({spec.topic for spec in REGISTRY})
