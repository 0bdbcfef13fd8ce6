"""Re-ranking: phrase scores, structured fit, load, and computed reasons."""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching_service.domain.model import CandidateLoad, PersonProfile
from matching_service.domain.phrase_reasons import ReasonVoice, quote
from matching_service.domain.phrase_vectors import PhraseVectors, profile_vector
from matching_service.domain.ranking import RankingCandidate, Suggestion, rank_candidates
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.domain.structured_fit import NEUTRAL_FIT
from tests.matching.builders import person

DIMENSION = 8
SEMANTIC_ONLY = RankingWeights(
    semantic=1.0, profession=0.0, grade=0.0, region=0.0, open_requests=0.0, slow_replies=0.0
)


def axis(index: int) -> np.ndarray:
    vector = np.zeros(DIMENSION, dtype=np.float32)
    vector[index] = 1.0
    return vector


def blend(index: int, other: int, cosine: float) -> np.ndarray:
    """A unit vector with the given cosine to axis(index)."""
    vector = cosine * axis(index) + math.sqrt(1 - cosine**2) * axis(other)
    return vector.astype(np.float32)


def phrases(*pairs: tuple[str, np.ndarray]) -> PhraseVectors:
    return PhraseVectors(
        tuple(text for text, _ in pairs), np.vstack([vector for _, vector in pairs])
    )


def candidate(
    profile: PersonProfile,
    offers: PhraseVectors,
    load: CandidateLoad | None = None,
    goals: PhraseVectors | None = None,
) -> RankingCandidate:
    """A candidate with its profile-vector cosine to the goals, as retrieval gives it."""
    goals = goals or GOALS
    theirs = profile_vector(offers.vectors)
    ours = profile_vector(goals.vectors)
    assert theirs is not None
    assert ours is not None
    return RankingCandidate(profile, offers, load or CandidateLoad(), float(theirs @ ours))


MENTEE = person("me", "mentee", profession="POLICY", grade="HEO", region="LONDON")
GOALS = phrases(
    ("getting senior people on side", axis(0)),
    ("making sense of spreadsheets", axis(1)),
)


def rank(
    candidates: list[RankingCandidate],
    weights: RankingWeights = SEMANTIC_ONLY,
    asker: PersonProfile | None = MENTEE,
    goals: PhraseVectors = GOALS,
    voice: ReasonVoice = ReasonVoice.MENTEE,
    limit: int = 10,
    profession: str | None = None,
) -> list[Suggestion]:
    return rank_candidates(
        asker,
        goals,
        candidates,
        role="mentee" if voice is ReasonVoice.MENTOR else "mentor",
        weights=weights,
        voice=voice,
        limit=limit,
        labels={"POLICY": "Policy"},
        profession=profession,
    )


def test_reasons_quote_the_matched_phrases_with_strength_from_their_similarity() -> None:
    offers = phrases(
        ("stakeholder management at board level", blend(0, 5, 0.9)),
        ("data analysis and statistics", blend(1, 6, 0.55)),
        ("gardening", axis(7)),
    )
    [suggestion] = rank([candidate(person("m1"), offers)])
    assert suggestion.reasons == (
        "Your goal 'getting senior people on side' matches their "
        "'stakeholder management at board level' (strong)",
        "Your goal 'making sense of spreadsheets' matches their "
        "'data analysis and statistics' (good)",
    )
    assert [match.similarity for match in suggestion.matches] == pytest.approx(
        [0.9, 0.55], abs=1e-3
    )


def test_structured_reasons_are_left_out_when_their_weight_is_zero() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    fit = person("fit", profession="POLICY", grade="G7", region="LONDON")
    [with_weights] = rank([candidate(fit, offers)], RankingWeights(), profession="POLICY")
    [without] = rank([candidate(fit, offers)], SEMANTIC_ONLY, profession="POLICY")
    assert len(with_weights.reasons) == 4
    assert len(without.reasons) == 1


def test_weak_matches_are_not_quoted_and_strength_words_follow_the_thresholds() -> None:
    offers = phrases(("budget control", blend(0, 5, 0.45)), ("cooking", blend(1, 6, 0.35)))
    [suggestion] = rank([candidate(person("m1"), offers)])
    assert suggestion.reasons == (
        "Your goal 'getting senior people on side' matches their 'budget control' (some)",
    )


def test_the_mentor_covering_more_goals_ranks_first() -> None:
    both = phrases(("influencing directors", blend(0, 5, 0.8)), ("statistics", blend(1, 6, 0.8)))
    one = phrases(("influencing directors", blend(0, 5, 0.8)), ("gardening", axis(7)))
    suggestions = rank([candidate(person("one"), one), candidate(person("both"), both)])
    assert [s.profile_id for s in suggestions] == ["both", "one"]
    assert suggestions[0].score > suggestions[1].score


def test_structured_reasons_and_bonuses() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    weights = RankingWeights(open_requests=0.0, slow_replies=0.0)
    fit = person("fit", profession="POLICY", grade="G7", region="LONDON")
    elsewhere = person(
        "elsewhere", profession="DIGITAL", grade="HEO", region="WALES", remote_ok=False
    )
    suggestions = rank(
        [candidate(elsewhere, offers), candidate(fit, offers)], weights, profession="POLICY"
    )
    assert [s.profile_id for s in suggestions] == ["fit", "elsewhere"]
    assert suggestions[0].reasons[1:] == (
        "Same profession: Policy",
        "Two grades above you",
        "Based in your region",
    )
    assert suggestions[1].reasons[1:] == ("Same grade as you",)
    assert suggestions[0].parts.profession == 1.0
    assert suggestions[0].parts.grade > suggestions[1].parts.grade


def test_travel_and_remote_reasons() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    travels = person("travels", region="WALES", travel_regions={"LONDON"}, grade="SEO")
    remote = person("remote", region="WALES", grade="SCS2")
    ranked = rank([candidate(travels, offers), candidate(remote, offers)], RankingWeights())
    reasons = {suggestion.profile_id: suggestion.reasons for suggestion in ranked}
    assert reasons["travels"][1:] == ("One grade above you", "Willing to travel to your region")
    assert reasons["remote"][1:] == ("Five grades above you", "Happy to meet remotely")


def test_many_open_requests_and_slow_replies_push_a_mentor_down() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    weights = RankingWeights(profession=0.0, grade=0.0, region=0.0)
    busy = candidate(person("busy"), offers, CandidateLoad(open_requests=6, median_reply_hours=200))
    free = candidate(person("free"), offers, CandidateLoad(open_requests=0, median_reply_hours=4))
    suggestions = rank([busy, free], weights)
    assert [s.profile_id for s in suggestions] == ["free", "busy"]
    assert suggestions[1].parts.load_penalty == pytest.approx(0.15)
    assert suggestions[0].parts.load_penalty == 0.0


def test_a_mentor_sitting_on_a_request_drops_before_it_expires() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    weights = RankingWeights(profession=0.0, grade=0.0, region=0.0, open_requests=0.0)
    prompt = CandidateLoad(median_reply_hours=4, oldest_wait_hours=10)
    # Usually quick, but one request has waited five days (120 h) so far.
    sitting = CandidateLoad(median_reply_hours=4, oldest_wait_hours=120)
    suggestions = rank(
        [
            candidate(person("a-sitting"), offers, sitting),
            candidate(person("b-prompt"), offers, prompt),
        ],
        weights,
    )
    assert [s.profile_id for s in suggestions] == ["b-prompt", "a-sitting"]
    # (120 - 48) / (168 - 48) of the full slow-replies weight.
    assert suggestions[1].parts.load_penalty == pytest.approx(0.05 * 72 / 120)
    assert suggestions[0].parts.load_penalty == 0.0
    assert suggestions[0].score - suggestions[1].score == pytest.approx(0.03, abs=1e-4)


def test_mentor_voice_reads_from_the_mentor_side() -> None:
    mentor_offers = phrases(("stakeholder management", axis(0)))
    mentee_goals = phrases(("getting senior people on side", blend(0, 5, 0.9)))
    mentee = person("mentee", "mentee", grade="AO")
    mentor = person("mentor", "mentor", grade="HEO")
    [suggestion] = rank(
        [candidate(mentee, mentee_goals, goals=mentor_offers)],
        asker=mentor,
        goals=mentor_offers,
        voice=ReasonVoice.MENTOR,
        weights=RankingWeights(),
    )
    assert suggestion.reasons[0] == (
        "Their goal 'getting senior people on side' matches your 'stakeholder management' (strong)"
    )
    assert suggestion.reasons[1] == "Two grades below you"


def test_limit_and_ties_are_deterministic() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    suggestions = rank([candidate(person(name), offers) for name in ("c", "a", "b")], limit=2)
    assert [s.profile_id for s in suggestions] == ["a", "b"]


def test_no_goals_or_no_candidates_give_no_suggestions() -> None:
    offers = phrases(("influencing directors", axis(0)))
    assert rank([]) == []
    empty = PhraseVectors((), np.zeros((0, DIMENSION), dtype=np.float32))
    assert rank([candidate(person("m"), offers)], goals=empty) == []


def test_scores_stay_between_zero_and_one() -> None:
    perfect = phrases(("a", axis(0)), ("b", axis(1)))
    unrelated = phrases(("z", axis(7)))
    weights = RankingWeights()
    fit = person("fit", profession="POLICY", grade="G7", region="LONDON")
    suggestions = rank(
        [
            candidate(fit, perfect),
            candidate(person("x"), unrelated, CandidateLoad(open_requests=9)),
        ],
        weights,
    )
    assert 0.95 <= suggestions[0].score <= 1.0
    assert suggestions[1].score == 0.0


def test_profile_vector_is_the_renormalised_mean() -> None:
    vector = profile_vector(np.vstack([axis(0), axis(1)]))
    assert vector is not None
    np.testing.assert_allclose(vector, blend(0, 1, math.sqrt(0.5)), atol=1e-6)
    assert profile_vector(np.zeros((0, DIMENSION), dtype=np.float32)) is None


def test_profession_counts_only_when_the_asker_asks_for_one() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    same = person("a-same", profession="POLICY")
    other = person("b-other", profession="DIGITAL")
    unasked = rank([candidate(same, offers), candidate(other, offers)], RankingWeights())
    assert [s.parts.profession for s in unasked] == [0.0, 0.0]
    assert unasked[0].score == unasked[1].score
    assert not any("profession" in reason for s in unasked for reason in s.reasons)
    asked = rank(
        [candidate(same, offers), candidate(other, offers)], RankingWeights(), profession="DIGITAL"
    )
    assert [s.profile_id for s in asked] == ["b-other", "a-same"]
    assert "In the profession you asked for: DIGITAL" in asked[0].reasons


def test_meaning_outweighs_every_structured_fit() -> None:
    # "near" answers both goals a little less well (cosine 0.55 against 0.6) but is
    # ideal on every structured field; "far" is the worst on each.
    near = person("near", profession="POLICY", grade="G7", region="LONDON")
    far = person("far", profession="DIGITAL", grade="HEO", region="WALES", remote_ok=False)
    near_offers = phrases(("directors", blend(0, 5, 0.55)), ("statistics", blend(1, 6, 0.55)))
    far_offers = phrases(("directors", blend(0, 5, 0.6)), ("statistics", blend(1, 6, 0.6)))
    weights = RankingWeights(open_requests=0.0, slow_replies=0.0)
    suggestions = rank(
        [candidate(near, near_offers), candidate(far, far_offers)], weights, profession="POLICY"
    )
    assert [s.profile_id for s in suggestions] == ["far", "near"]
    # Between equal meanings the structured fit still decides.
    tied = rank([candidate(near, far_offers), candidate(far, far_offers)], weights)
    assert [s.profile_id for s in tied] == ["near", "far"]


def test_missing_grade_and_region_are_neutral() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    weights = RankingWeights(open_requests=0.0, slow_replies=0.0)
    ideal = person("ideal", grade="G7", region="LONDON")
    unknown = person("unknown", grade=None, region=None, remote_ok=False)
    poor = person("poor", grade="SCS4", region="WALES", remote_ok=False)
    suggestions = rank([candidate(p, offers) for p in (poor, unknown, ideal)], weights)
    assert [s.profile_id for s in suggestions] == ["ideal", "unknown", "poor"]
    middle = suggestions[1]
    assert (middle.parts.grade, middle.parts.region) == (NEUTRAL_FIT, NEUTRAL_FIT)
    assert middle.reasons[1:] == ()


def test_goal_score_is_the_mean_of_each_goals_best_offer() -> None:
    offers = phrases(
        ("directors", blend(0, 5, 0.9)),
        ("more directors", blend(0, 5, 0.7)),
        ("statistics", blend(1, 6, 0.5)),
    )
    weights = RankingWeights(
        semantic=1.0,
        profession=0.0,
        grade=0.0,
        region=0.0,
        open_requests=0.0,
        slow_replies=0.0,
        profile_share=0.0,
        best_goal_share=0.0,
        similarity_floor=0.0,
        similarity_ceiling=1.0,
    )
    [suggestion] = rank([candidate(person("m"), offers)], weights)
    assert suggestion.parts.semantic == pytest.approx((0.9 + 0.5) / 2, abs=1e-3)


def test_reasons_name_the_profession_from_the_reference_list() -> None:
    offers = phrases(("influencing directors", blend(0, 5, 0.8)))
    asker = person("me", "mentee", profession="operational-delivery", grade="HEO")
    mentor = person("m", profession="operational-delivery", grade="G7")
    [suggestion] = rank_candidates(
        asker,
        GOALS,
        [candidate(mentor, offers)],
        role="mentor",
        weights=RankingWeights(),
        voice=ReasonVoice.MENTEE,
        limit=1,
        profession="operational-delivery",
    )
    assert "Same profession: Operational Delivery" in suggestion.reasons
    assert not any("operational-delivery" in reason for reason in suggestion.reasons)


def test_long_phrases_are_shortened_at_a_word_boundary() -> None:
    text = "word " * 40
    shortened = quote(text.strip(), limit=30)
    assert shortened.endswith("…")
    assert len(shortened) <= 31
    assert quote("short") == "short"


@pytest.mark.parametrize(
    "options",
    [
        {"semantic": -0.1},
        {"best_goal_share": 1.5},
        {"similarity_floor": 0.8, "similarity_ceiling": 0.7},
        {"some_match": 0.7, "good_match": 0.5},
        {"reply_ok_hours": 200.0},
        {"candidate_pool": 0},
    ],
)
def test_inconsistent_weights_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        RankingWeights(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(12))
def test_the_top_of_a_ranking_is_the_same_as_scoring_everyone(seed: int) -> None:
    # Candidates are scored in the order of their best possible score and scoring
    # stops early; whatever the structured fits, skills and loads, the first ``limit``
    # must be those of the full ranking.
    rng = np.random.default_rng(seed)
    skills = [f"skill-{index}" for index in range(6)]
    grades = ["AO", "EO", "HEO", "SEO", "G7", "G6", None]
    regions = ["LONDON", "SCOTLAND", "WALES", None]
    asker = person(
        "asker",
        "mentee",
        grade="HEO",
        region="LONDON",
        sought_skills=tuple(skills[:4]),
    )
    goals = PhraseVectors(("a", "b"), unit_rows(rng, 2))
    shared = unit_rows(rng, 3)  # some candidates share phrases: equal meaning, ties
    population = []
    for index in range(120):
        offers = shared if index % 4 == 0 else unit_rows(rng, int(rng.integers(1, 5)))
        profile = person(
            f"c{index:03d}",
            grade=grades[int(rng.integers(len(grades)))],
            region=regions[int(rng.integers(len(regions)))],
            remote_ok=bool(rng.integers(2)),
            anonymous=bool(rng.integers(4) == 0),
            offered_skills=tuple(rng.choice(skills, int(rng.integers(0, 4)), replace=False)),
        )
        load = CandidateLoad(open_requests=int(rng.integers(0, 4)))
        population.append(
            candidate(profile, PhraseVectors(tuple("xyzw"[: len(offers)]), offers), load, goals)
        )
    weights = RankingWeights(profession=0.05, grade=0.1, region=0.1, skills=0.3)
    everyone = rank(population, weights, asker, goals, limit=len(population), profession="POLICY")
    for limit in (0, 1, 3, 10, 40):
        top = rank(population, weights, asker, goals, limit=limit, profession="POLICY")
        assert top == everyone[:limit]


def unit_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)
