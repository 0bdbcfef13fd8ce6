"""Published event schemas only change with a version bump; the AsyncAPI file is current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mentor_shared.events import REGISTRY, Envelope, UnknownEventError
from mentor_shared.events.asyncapi import message_name, payload_schema, render_document
from mentor_shared.events.schemas import ACCOUNT_TOPIC

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "contracts" / "snapshots"
SPECS = list(REGISTRY)


@pytest.mark.parametrize("spec", SPECS, ids=message_name)
def test_published_schema_matches_its_snapshot(spec: Any) -> None:
    snapshot = SNAPSHOTS / f"{message_name(spec)}.json"
    assert snapshot.exists(), f"{message_name(spec)} has no snapshot: run `make docs` to record it"
    recorded = json.loads(snapshot.read_text())
    assert payload_schema(spec) == recorded, (
        f"the schema of {spec.event_type} changed without a version bump: "
        f"raise event_version and run `make docs` instead of editing version {spec.version}"
    )


def test_every_snapshot_still_has_a_registered_event() -> None:
    registered = {f"{message_name(spec)}.json" for spec in SPECS}
    orphans = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in registered)
    assert not orphans, f"published versions were removed from the registry: {orphans}"


def test_asyncapi_document_is_generated_from_the_current_models() -> None:
    committed = (ROOT / "docs" / "asyncapi.yaml").read_text()
    assert committed == render_document(), "docs/asyncapi.yaml is stale: run `make docs`"


CONTACT_WORDS = ("email", "phone", "address", "contact")


def _property_names(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for definition in [schema, *schema.get("$defs", {}).values()]:
        names.update(definition.get("properties", {}))
    return names


@pytest.mark.parametrize("spec", [s for s in SPECS if s.topic != ACCOUNT_TOPIC], ids=message_name)
def test_contact_details_travel_only_on_the_account_topic(spec: Any) -> None:
    leaking = [
        name
        for name in _property_names(payload_schema(spec))
        if any(word in name.lower() for word in CONTACT_WORDS)
    ]
    assert not leaking, f"{spec.event_type} carries contact fields {leaking}"


def test_unknown_event_type_is_rejected() -> None:
    raw = (
        b'{"id":"7f0f8a4e-4a4b-4c4d-8e8f-000000000001","type":"match.teleported","version":1,'
        b'"source":"x","subject":"s","data":{}}'
    )
    with pytest.raises(UnknownEventError):
        Envelope.from_bytes(raw)


def test_payload_with_an_unexpected_field_is_rejected() -> None:
    raw = (
        b'{"id":"7f0f8a4e-4a4b-4c4d-8e8f-000000000001","type":"profile.deleted","version":1,'
        b'"source":"x","subject":"s","data":{"profile_id":"p","email":"a@b.gov.uk"}}'
    )
    with pytest.raises(UnknownEventError):
        Envelope.from_bytes(raw)
