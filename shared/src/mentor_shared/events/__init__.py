"""Event contracts: the envelope, the payload schemas and their registry."""

from mentor_shared.events.envelope import Envelope, EventData, new_event
from mentor_shared.events.registry import REGISTRY, EventSpec, UnknownEventError, topics

__all__ = [
    "REGISTRY",
    "Envelope",
    "EventData",
    "EventSpec",
    "UnknownEventError",
    "new_event",
    "topics",
]
