"""Generate the AsyncAPI document and the schema snapshots from the event models.

``python -m mentor_shared.events.asyncapi docs/asyncapi.yaml`` writes the document
(``make docs``); ``--snapshots DIR`` also writes a JSON schema snapshot for every
(type, version) that has none yet. Existing snapshots are never overwritten: a
changed schema needs a new ``event_version`` (tests/contracts enforces it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from mentor_shared.events.envelope import Envelope
from mentor_shared.events.registry import REGISTRY, EventSpec

RESTRICTED_TOPICS = {"account": "Restricted: carries email addresses; read only by notifications."}
TOPIC_DESCRIPTIONS = {
    "account": "Account lifecycle and emails to send. " + RESTRICTED_TOPICS["account"],
    "profile": "Profile changes (matchable fields, no contact details) and erasure.",
    "match": "The lifecycle of a match request, keyed by match id.",
    "messaging": "Messages (ids and times only) and scheduled sessions.",
    "notification": "Notifications delivered.",
    "public.match-events": (
        "Anonymised match events for other departments: department, profession, "
        "grade band, region, event type and time; nothing that identifies a person. "
        "Departments without Kafka receive the same facts as webhooks: an HTTPS POST "
        "of {id, type: match.<event>, department, profession, grade_band, region, "
        "occurred_at}, signed as Standard Webhooks do (webhook-id, webhook-timestamp, "
        "webhook-signature v1 = base64 HMAC-SHA256 with the whsec_ secret shown once "
        "when the subscription is made; see docs/notifications.md)."
    ),
}


def message_name(spec: EventSpec) -> str:
    """AsyncAPI message id, e.g. ``profile.upserted.v1``."""
    return f"{spec.event_type}.v{spec.version}"


def payload_schema(spec: EventSpec) -> dict[str, Any]:
    """JSON schema of the payload (the envelope's ``data``)."""
    return spec.model.model_json_schema(mode="serialization")


def envelope_schema() -> dict[str, Any]:
    """JSON schema of the envelope, ``data`` left open (each message narrows it)."""
    return Envelope.model_json_schema(mode="serialization")


def build_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document for every registered event."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Envelope": envelope_schema()}
    for spec in REGISTRY:
        name = message_name(spec)
        schema_name = f"{spec.model.__name__}V{spec.version}"
        schemas[schema_name] = payload_schema(spec)
        messages[name] = {
            "name": spec.event_type,
            "title": f"{spec.event_type} (version {spec.version})",
            "summary": (spec.model.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {
                "type": "object",
                "properties": {
                    "event_type": {"type": "string", "const": spec.event_type},
                    "event_version": {"type": "string", "const": str(spec.version)},
                    "correlation_id": {"type": "string"},
                    "request_id": {"type": "string"},
                },
            },
            "payload": {
                "allOf": [
                    {"$ref": "#/components/schemas/Envelope"},
                    {
                        "type": "object",
                        "properties": {
                            "type": {"const": spec.event_type},
                            "version": {"const": spec.version},
                            "data": {"$ref": f"#/components/schemas/{schema_name}"},
                        },
                    },
                ]
            },
            "bindings": {
                "kafka": {"key": {"type": "string", "description": "The envelope's subject"}}
            },
        }
        channel = channels.setdefault(
            spec.topic,
            {
                "address": spec.topic,
                "description": TOPIC_DESCRIPTIONS.get(spec.topic, ""),
                "messages": {},
            },
        )
        channel["messages"][name] = {"$ref": f"#/components/messages/{name}"}
    for topic, channel in channels.items():
        operations[f"receive-{topic}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [
                {"$ref": f"#/channels/{topic}/messages/{name}"} for name in channel["messages"]
            ],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mentor Match events",
            "version": "1.0.0",
            "description": (
                "Every event is a versioned JSON envelope keyed by its subject, so one "
                "person's or one match's events stay in order on one partition. Generated "
                "from the pydantic models in mentor_shared.events.schemas; do not edit by hand."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {"host": "kafka:9092", "protocol": "kafka"},
            "development": {"host": "127.0.0.1:9092", "protocol": "kafka"},
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render_document() -> str:
    """The document as YAML text."""
    return yaml.safe_dump(build_document(), sort_keys=False, allow_unicode=True, width=100)


def write_snapshots(directory: Path) -> list[Path]:
    """Snapshot each (type, version) schema that has none yet; returns the new files."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in REGISTRY:
        path = directory / f"{message_name(spec)}.json"
        if not path.exists():
            path.write_text(json.dumps(payload_schema(spec), indent=2, sort_keys=True) + "\n")
            written.append(path)
    return written


def main() -> None:
    """Write the AsyncAPI document (and new snapshots when asked)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("output", type=Path)
    parser.add_argument("--snapshots", type=Path)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render_document())
    print(f"wrote {args.output}")
    if args.snapshots:
        for path in write_snapshots(args.snapshots):
            print(f"new snapshot {path}")


if __name__ == "__main__":
    main()
