"""The matching-quality bench: its metrics, baselines, filters and data files."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.append(str(BENCH))

import eval_common  # noqa: E402
import make_eval_sets  # noqa: E402
import matching_quality  # noqa: E402


def _dcg(gains: list[int]) -> float:
    return sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))


def test_metrics_on_a_tiny_case_with_known_answers() -> None:
    judgements = {"q1": {"a": 2, "b": 1}, "q2": {"c": 1}, "q3": {}}
    rankings = {"q1": ["x", "b", "a"], "q2": ["y", "z"], "q3": ["a"]}

    result = matching_quality.metrics(rankings, judgements)

    # q1: gains 0, 1, 3 against the ideal 3, 1; q2 finds nothing; q3 has no relevant
    # mentor and is left out of every mean.
    ndcg_q1 = _dcg([0, 1, 3]) / _dcg([3, 1])
    assert result["ndcg@10"] == pytest.approx(round(ndcg_q1 / 2, 4))
    assert result["recall@10"] == pytest.approx(0.5)  # q1 2/2, q2 0/1
    assert result["mrr"] == pytest.approx(0.25)  # q1 first hit at rank 2, q2 none


def test_a_perfect_ranking_scores_one() -> None:
    judgements = {"q": {"a": 2, "b": 1, "c": 1}}

    result = matching_quality.metrics({"q": ["a", "b", "c", "d"]}, judgements)

    assert result == {"ndcg@10": 1.0, "recall@10": 1.0, "mrr": 1.0}


def test_bm25_ranks_the_document_with_the_rare_query_term_first() -> None:
    documents = ["budget forecasting and budgets", "public speaking", "speaking at events"]

    scores = matching_quality.bm25_scores(documents, ["help with my budget"])

    assert scores[0].argmax() == 0
    assert scores[0, 1] == 0.0


def test_baselines_rank_only_mentors_passing_the_filters() -> None:
    scores = matching_quality.np.array([[0.9, 0.8, 0.1]])

    rankings = matching_quality.rank_by_scores(scores, ["a", "b", "c"], ["q"], {"q": {"b", "c"}})

    assert rankings == {"q": ["b", "c"]}


def _mentor(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "roles": {"mentor": True},
        "department": "dwp",
        "grade": "G7",
        "region": "london",
        "travel_regions": [],
        "remote_ok": False,
    }
    return {**base, **fields}


def test_the_hard_filters_of_a_request() -> None:
    mentee = {"department": "dwp"}
    eligible = eval_common.eligible

    assert eligible(_mentor(), mentee, {})
    assert not eligible(_mentor(), mentee, {"exclude_own_department": True})
    assert eligible(_mentor(department="hmrc"), mentee, {"exclude_own_department": True})
    assert not eligible(_mentor(grade="SEO"), mentee, {"min_grade": "G7"})
    assert not eligible(_mentor(), mentee, {"region": "wales"})
    assert eligible(_mentor(travel_regions=["wales"]), mentee, {"region": "wales"})
    assert eligible(_mentor(remote_ok=True), mentee, {"region": "wales", "accept_remote": True})
    assert not eligible(_mentor(roles={"mentor": False}), mentee, {})


def test_relevance_grades_follow_the_skills() -> None:
    group_of = {"a1": "a", "a2": "a", "b1": "b", "c1": "c"}

    assert eval_common.grade(["a1"], "a1", None, group_of) == 2
    assert eval_common.grade(["a2"], "a1", None, group_of) == 1
    assert eval_common.grade(["b1"], "a1", "b1", group_of) == 1
    assert eval_common.grade(["c1"], "a1", "b1", group_of) == 0


def test_the_committed_sets_are_reproducible_from_their_seeds(tmp_path: Path) -> None:
    for target, make in make_eval_sets.jobs():
        fresh = tmp_path / target.name
        eval_common.write(make(), fresh)
        assert fresh.read_bytes() == target.read_bytes(), f"{target.name} is out of date"
