"""The service with its default (ONNX int8) embedder: suggestions explain the match."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mentor_shared.testing.broker import EmbeddedBroker
from mentor_shared.testing.events import publish, wait_for
from mentor_shared.testing.tokens import TokenMaker
from tests.matching.conftest import (
    matching_settings,
    serve_in_thread,
)
from tests.matching.stores import mentee, upserted

pytestmark = pytest.mark.broker


async def test_a_mentee_is_offered_the_right_mentor_with_the_matched_phrases(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = matching_settings(embedded_broker.bootstrap_servers, tmp_path, embedder="onnx")
    people = [
        mentee(
            "learner",
            goals_text=(
                "I find it hard to present to senior leaders. "
                "I want to build confidence when speaking at board meetings."
            ),
        ),
        upserted(
            "speaker",
            expertise_text=(
                "Public speaking and presenting to executive boards. "
                "Helping people feel confident in front of senior audiences."
            ),
        ),
        upserted(
            "accountant",
            expertise_text="Management accounts, budget forecasting and VAT returns.",
        ),
        upserted(
            "developer",
            expertise_text="Python software development, cloud hosting and databases.",
        ),
    ]
    with serve_in_thread(settings, TokenMaker()) as running:
        await publish(settings.kafka_bootstrap_servers, *people)
        async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as client:
            admin = running.tokens.headers("admin", admin=True)

            async def all_indexed() -> bool:
                for person in people:
                    response = await client.get(
                        "/v1/index/status", params={"profile_id": person.profile_id}, headers=admin
                    )
                    if response.json()["version"] != person.version:
                        return False
                return True

            # Generous: the first start exports the model and the machine may be busy.
            await wait_for(all_indexed, timeout=120, interval=0.2)
            response = await client.get(
                "/v1/suggestions", headers=running.tokens.headers("learner")
            )
    assert response.status_code == 200, response.text
    found = response.json()
    assert found[0]["profile_id"] == "speaker"
    reasons = " ".join(str(reason) for reason in found[0]["reasons"]).lower()
    assert "present" in reasons or "speaking" in reasons or "board" in reasons
    assert found[0]["score"] > found[1]["score"]
