"""Ranking with the real all-MiniLM-L6-v2 model (loaded once for this module, offline)."""

from __future__ import annotations

import numpy as np
import pytest

from matching_service.adapters.embedder import SentenceTransformerEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.model import SuggestionQuery
from tests.matching.builders import person

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_the_model_gives_normalised_float32_vectors(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.embed(["stakeholder management", "budget forecasting", ""])
    assert embedder.dimension == 384
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_paraphrased_goals_find_the_relevant_mentor_with_reasons(
    embedder: SentenceTransformerEmbedder,
) -> None:
    small_talk = "I am happy to meet online or in person. I enjoy gardening at weekends."
    matcher = build_matcher(embedder)
    matcher.index_profiles(
        [
            person(
                "stakeholders",
                expertise=["Stakeholder management at board level", "Influencing senior leaders"],
                experience_text=small_talk,
            ),
            person(
                "finance",
                expertise=["Budget forecasting", "Business cases for HM Treasury"],
                experience_text=small_talk,
            ),
            person(
                "digital",
                expertise=["Agile delivery", "User research"],
                experience_text="I am happy to meet online.",
            ),
            person(
                "mentee",
                "mentee",
                goals=["getting senior people on side"],
                goals_text="I struggle to persuade directors to back my proposals. "
                "I'm happy to meet online.",
            ),
        ]
    )
    suggestions = matcher.suggest("mentee", SuggestionQuery(role="mentor"))
    best = suggestions[0]
    assert best.profile_id == "stakeholders"
    assert best.score > suggestions[1].score
    quoted_goals = {match.goal for match in best.matches}
    quoted_offers = {match.match for match in best.matches}
    assert quoted_goals & {
        "getting senior people on side",
        "I struggle to persuade directors to back my proposals",
    }
    assert quoted_offers <= {"Stakeholder management at board level", "Influencing senior leaders"}
    assert all(f"'{match.goal}'" in best.reasons[i] for i, match in enumerate(best.matches))
    # Small talk on both sides matched strongly but is never quoted as a reason.
    assert not any("online" in reason for s in suggestions for reason in s.reasons)
