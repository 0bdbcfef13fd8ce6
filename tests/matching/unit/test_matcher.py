"""The matcher end to end over the fake embedder: indexing, filters, erasure, snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from matching_service.adapters.embedder import HashingEmbedder
from matching_service.adapters.snapshot import build_matcher, load_matcher, save_matcher
from matching_service.domain.errors import UnknownProfile
from matching_service.domain.model import CandidateLoad, PairHistory, PersonProfile, SuggestionQuery
from matching_service.service.matcher import IndexStatus, Matcher
from tests.matching.builders import person

QUERY = SuggestionQuery(role="mentor")


def mentors() -> list[PersonProfile]:
    return [
        person("budgets", expertise=["budget forecasting", "spending review bids"], grade="G7"),
        person("digital", expertise=["agile product delivery", "user research"], grade="G7"),
        person("people", expertise=["line management", "performance conversations"], grade="G6"),
    ]


def mentee(**fields: object) -> PersonProfile:
    values: dict[str, object] = {
        "goals": ["budget forecasting skills"],
        "goals_text": "Spending review bids next year.",
        "grade": "HEO",
    }
    values.update(fields)
    return person("mentee", "mentee", **values)


@pytest.fixture
def matcher() -> Matcher:
    built = build_matcher(HashingEmbedder(dimension=256))
    built.index_profiles([*mentors(), mentee()])
    return built


def ranked(
    matcher: Matcher, query: SuggestionQuery = QUERY, history: PairHistory | None = None
) -> list[str]:
    return [s.profile_id for s in matcher.suggest("mentee", query, history)]


def test_the_mentor_whose_expertise_matches_the_goals_comes_first_with_quoted_reasons(
    matcher: Matcher,
) -> None:
    suggestions = matcher.suggest("mentee", QUERY)
    assert suggestions[0].profile_id == "budgets"
    assert suggestions[0].reasons[0] == (
        "Your goal 'budget forecasting skills' matches their 'budget forecasting' (strong)"
    )
    assert any("'spending review bids'" in reason for reason in suggestions[0].reasons)


def test_hard_filters_remove_candidates_inside_the_search(matcher: Matcher) -> None:
    history = PairHistory(excluded_ids=frozenset({"budgets"}))
    assert "budgets" not in ranked(matcher, history=history)
    full = PairHistory(loads={"budgets": CandidateLoad(active_matches=2)})
    assert "budgets" not in ranked(matcher, history=full)
    assert ranked(matcher, SuggestionQuery(role="mentor", min_grade="G6")) == ["people"]
    assert ranked(matcher, SuggestionQuery(role="coach")) == []
    assert "mentee" not in ranked(matcher, SuggestionQuery(role="mentee"))


def test_a_busy_mentor_moves_down(matcher: Matcher) -> None:
    calm = matcher.suggest("mentee", QUERY)
    busy = matcher.suggest(
        "mentee", QUERY, PairHistory(loads={"budgets": CandidateLoad(open_requests=5)})
    )
    score = {s.profile_id: s.score for s in calm}["budgets"]
    assert {s.profile_id: s.score for s in busy}["budgets"] == pytest.approx(score - 0.1, abs=1e-3)


def test_a_slow_mentor_ranks_below_an_otherwise_equal_prompt_one() -> None:
    twins = build_matcher(HashingEmbedder(dimension=256))
    expertise = ["budget forecasting", "spending review bids"]
    # Equal scores fall back to the profile id: without the penalty "a-slow" comes first.
    twins.index_profiles(
        [
            person("a-slow", expertise=expertise, grade="G7"),
            person("b-prompt", expertise=expertise, grade="G7"),
            mentee(),
        ]
    )
    history = PairHistory(
        loads={
            "a-slow": CandidateLoad(median_reply_hours=200.0),
            "b-prompt": CandidateLoad(median_reply_hours=3.0),
        }
    )
    slow, prompt = (
        {s.profile_id: s for s in twins.suggest("mentee", QUERY, history)}[name]
        for name in ("a-slow", "b-prompt")
    )
    assert ranked(twins, history=history)[:2] == ["b-prompt", "a-slow"]
    assert slow.parts.load_penalty == pytest.approx(twins.weights.slow_replies)
    assert prompt.parts.load_penalty == 0.0
    assert prompt.score - slow.score == pytest.approx(twins.weights.slow_replies, abs=1e-3)
    assert slow.reasons == prompt.reasons, "the same fit, only the load differs"


def test_older_versions_are_ignored_and_newer_ones_replace_the_vectors(matcher: Matcher) -> None:
    stale = person("budgets", version=1, expertise=["line management"])
    assert matcher.index_profiles([stale]) == []
    assert ranked(matcher)[0] == "budgets"
    before = {s.profile_id: s for s in matcher.suggest("mentee", QUERY)}["budgets"]
    newer = person("budgets", version=2, expertise=["line management"], grade="G7")
    assert matcher.index_profiles([newer]) == ["budgets"]
    after = {s.profile_id: s for s in matcher.suggest("mentee", QUERY)}["budgets"]
    assert before.matches
    assert after.matches == ()
    assert after.parts.semantic < before.parts.semantic
    profile = matcher.profile("budgets")
    assert profile is not None
    assert profile.version == 2


def test_someone_who_stops_mentoring_leaves_the_offers_index(matcher: Matcher) -> None:
    matcher.index_profiles(
        [person("budgets", "mentee", version=2, expertise=["budget forecasting"])]
    )
    assert "budgets" not in ranked(matcher)
    assert not matcher.offers.index.contains("budgets")
    assert matcher.offers.phrases.get("budgets") is None


def test_erasure_removes_vectors_phrases_and_the_profile(matcher: Matcher) -> None:
    assert matcher.status() == IndexStatus(profiles=4, offers=3, seeks=1)
    assert matcher.remove_profiles(["budgets", "never-known"]) == 1
    assert matcher.status() == IndexStatus(profiles=3, offers=2, seeks=1)
    assert matcher.profile("budgets") is None
    assert not matcher.offers.index.contains("budgets")
    assert matcher.offers.phrases.get("budgets") is None
    assert "budgets" not in ranked(matcher)
    assert "budgets" not in [s.profile_id for s in matcher.search_text("budget forecasting", QUERY)]


def test_unknown_askers_are_refused_and_people_without_goals_get_nothing(matcher: Matcher) -> None:
    with pytest.raises(UnknownProfile):
        matcher.suggest("stranger", QUERY)
    matcher.index_profiles([mentee(version=2, goals=[], goals_text="")])
    assert matcher.suggest("mentee", QUERY) == []


def test_a_mentor_can_look_for_mentees_whose_goals_fit_their_expertise(matcher: Matcher) -> None:
    other = person("other-mentee", "mentee", goals=["agile product delivery"], grade="EO")
    matcher.index_profiles([other])
    suggestions = matcher.suggest("budgets", SuggestionQuery(role="mentee"))
    assert [s.profile_id for s in suggestions] == ["mentee", "other-mentee"]
    assert (
        suggestions[0].reasons[0].startswith("Their goal 'budget forecasting skills' matches your")
    )


def test_free_text_search_ranks_and_explains_and_leaves_out_the_searcher(matcher: Matcher) -> None:
    results = matcher.search_text("user research", QUERY)
    assert results[0].profile_id == "digital"
    assert (
        results[0].reasons[0]
        == "Your search 'user research' matches their 'user research' (strong)"
    )
    assert matcher.search_text("   ", QUERY) == []
    as_budgets = matcher.search_text("budget forecasting", QUERY, asker_id="budgets")
    assert "budgets" not in [s.profile_id for s in as_budgets]


def test_snapshot_restores_the_same_suggestions(matcher: Matcher, tmp_path: Path) -> None:
    before = matcher.suggest("mentee", QUERY)
    save_matcher(matcher, tmp_path, {"positions": {"profile:0": 7}})
    save_matcher(matcher, tmp_path, {"positions": {"profile:0": 9}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CURRENT", "gen-000002"]
    loaded = load_matcher(tmp_path, HashingEmbedder(dimension=256))
    assert loaded is not None
    restored, metadata = loaded
    assert metadata == {"positions": {"profile:0": 9}}
    after = restored.suggest("mentee", QUERY)
    assert [(s.profile_id, s.reasons) for s in after] == [(s.profile_id, s.reasons) for s in before]
    assert [s.score for s in after] == pytest.approx([s.score for s in before], abs=1e-3)
    assert restored.profile("budgets") == matcher.profile("budgets")


def test_no_snapshot_loads_as_none_and_a_different_dimension_is_refused(
    matcher: Matcher, tmp_path: Path
) -> None:
    assert load_matcher(tmp_path, HashingEmbedder()) is None
    save_matcher(matcher, tmp_path, {})
    with pytest.raises(ValueError, match="dimension"):
        load_matcher(tmp_path, HashingEmbedder(dimension=64))


def test_the_fake_embedder_is_deterministic_and_normalised() -> None:
    embedder = HashingEmbedder(dimension=32)
    vectors = embedder.embed(["budget forecasting", "budget forecasting", "", "user research"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert float(vectors[0] @ vectors[3]) < 0.5
    assert embedder.embed([]).shape == (0, 32)


class CountingEmbedder(HashingEmbedder):
    """The fake, remembering every text it was asked to embed."""

    def __init__(self) -> None:
        super().__init__(dimension=256)
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen.extend(texts)
        return super().embed(texts)


def test_only_the_phrases_a_side_keeps_are_embedded_and_each_once_per_batch() -> None:
    embedder = CountingEmbedder()
    matcher = build_matcher(embedder)
    matcher.index_profiles(
        [
            person("a", expertise=["budget forecasting"], goals=["public speaking"]),
            person("b", expertise=["budget forecasting", "user research"]),
            person("c", "mentee", expertise=["line management"], goals=["public speaking"]),
        ]
    )
    # a mentors only: their goal is never searched, so never embedded; c is only a mentee.
    phrases = list(embedder.seen)
    assert sorted(phrases) == ["budget forecasting", "public speaking", "user research"]
    assert matcher.status() == IndexStatus(profiles=3, offers=2, seeks=1)
    assert matcher.seeks.phrases.get("c") is not None
    assert matcher.offers.phrases.get("b") is not None


def test_an_edit_embeds_only_the_changed_phrases_and_gives_the_index_of_a_fresh_build(
    matcher: Matcher,
) -> None:
    embedder = CountingEmbedder()
    edited = person(
        "budgets", version=2, expertise=["budget forecasting", "business cases"], grade="G7"
    )
    incremental = build_matcher(embedder)
    incremental.index_profiles([*mentors(), mentee()])
    embedder.seen.clear()
    incremental.index_profiles([edited])
    assert embedder.seen == ["business cases"]

    fresh = build_matcher(HashingEmbedder(dimension=256))
    fresh.index_profiles([edited, *mentors()[1:], mentee()])
    assert incremental.suggest("mentee", QUERY) == fresh.suggest("mentee", QUERY)
    people = ["budgets", "digital", "people"]
    got = incremental.offers.index.vectors_for(people)
    want = fresh.offers.index.vectors_for(people)
    for profile_id in people:
        np.testing.assert_array_equal(got[profile_id], want[profile_id])
