"""How the ranking weights were chosen: nDCG@10 of weight settings on a dev split.

Indexes the split's mentors and mentees once (the torch MiniLM embedder), then ranks
every request with each setting by swapping the matcher's weights (the phrases and
vectors do not depend on them). Settings:

  goal combination    best_goal_share (0 = mean over goals of each goal's best
                      offer) x profile_share (share of the profile-vector cosine)
  structured weights  grade + region (+ profession when asked) at several sizes,
                      with and without the request's own profession asked for

It also prints the noise of the semantic fit: over requests, the spread (standard
deviation) of the semantic part among mentors judged equally relevant, and the median
gap between neighbours in the top ten. Structured fit is meant to stay below both.

Only dev splits: never point this at a test split.
Usage: python bench/ranking_weights.py [path/to/dev.json ...]
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from matching_quality import DATA, metrics, prefer_standard_library, to_profile
from matching_service.adapters.embedder import SentenceTransformerEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.model import PersonProfile, SuggestionQuery
from matching_service.domain.ranking_weights import RankingWeights
from matching_service.service.matcher import Matcher

DEPTH = 20
"""Suggestions per request: nDCG@10 needs ten; the noise figures look a little deeper."""
NO_LOAD = {"open_requests": 0.0, "slow_replies": 0.0}


def _rank(
    matcher: Matcher,
    mentees: list[PersonProfile],
    weights: RankingWeights,
    ask_profession: bool,
) -> tuple[dict[str, list[str]], dict[str, list[tuple[str, float]]]]:
    matcher.weights = weights
    rankings: dict[str, list[str]] = {}
    semantic: dict[str, list[tuple[str, float]]] = {}
    for mentee in mentees:
        query = SuggestionQuery(
            role="mentor",
            allow_any_grade=True,
            limit=DEPTH,
            profession=mentee.profession if ask_profession else None,
        )
        found = matcher.suggest(mentee.profile_id, query)
        rankings[mentee.profile_id] = [s.profile_id for s in found]
        semantic[mentee.profile_id] = [(s.profile_id, s.parts.semantic) for s in found]
    return rankings, semantic


def _noise(
    semantic: dict[str, list[tuple[str, float]]], judgements: dict[str, dict[str, int]]
) -> dict[str, float]:
    spreads: list[float] = []
    gaps: list[float] = []
    for query_id, scored in semantic.items():
        grades = judgements.get(query_id, {})
        by_grade: dict[int, list[float]] = {}
        for profile_id, value in scored:
            by_grade.setdefault(grades.get(profile_id, 0), []).append(value)
        spreads.extend(float(np.std(values)) for values in by_grade.values() if len(values) > 2)
        top = [value for _, value in scored[:10]]
        gaps.extend(float(a - b) for a, b in itertools.pairwise(top))
    return {
        "semantic_spread_within_equal_relevance_median": round(float(np.median(spreads)), 4),
        "semantic_gap_between_top10_neighbours_median": round(float(np.median(gaps)), 4),
    }


def evaluate(path: Path, embedder: SentenceTransformerEmbedder) -> dict[str, Any]:
    """Every setting on one dev split."""
    data = json.loads(path.read_text(encoding="utf-8"))
    mentors = [to_profile(record) for record in data["mentors"]]
    mentees = [to_profile(record) for record in data["mentees"]]
    judgements: dict[str, dict[str, int]] = data["judgements"]
    matcher = build_matcher(embedder)
    matcher.index_profiles([*mentors, *mentees])
    base = RankingWeights(semantic=1.0, profession=0.0, grade=0.0, region=0.0, **NO_LOAD)
    report: dict[str, Any] = {"file": str(path), "mentors": len(mentors), "requests": len(mentees)}
    combination: dict[str, Any] = {}
    for best_goal_share in (0.0, 0.3):
        for profile_share in (0.0, 0.4):
            weights = replace(base, best_goal_share=best_goal_share, profile_share=profile_share)
            rankings, semantic = _rank(matcher, mentees, weights, ask_profession=False)
            key = f"best_goal_share={best_goal_share},profile_share={profile_share}"
            combination[key] = metrics(rankings, judgements)["ndcg@10"]
            if key == "best_goal_share=0.0,profile_share=0.4":
                report["noise"] = _noise(semantic, judgements)
    report["goal_combination_ndcg@10"] = combination
    chosen = RankingWeights(**NO_LOAD)
    structured: dict[str, Any] = {}
    for size in (0.02, 0.05):
        weights = replace(chosen, semantic=1.0 - 2 * size, profession=size, grade=size, region=size)
        for ask in (False, True):
            rankings, _ = _rank(matcher, mentees, weights, ask_profession=ask)
            key = f"grade=region=profession={size},profession_asked={ask}"
            structured[key] = metrics(rankings, judgements)["ndcg@10"]
    report["structured_ndcg@10"] = structured
    rankings, _ = _rank(matcher, mentees, chosen, ask_profession=False)
    report["defaults"] = metrics(rankings, judgements)
    # The previous defaults, profession always counted (as it was before it had to be
    # asked for); unknown grades and regions are now neutral, which this cannot undo.
    previous = replace(chosen, semantic=0.85, profession=0.05, grade=0.05, region=0.05)
    rankings, _ = _rank(matcher, mentees, previous, ask_profession=True)
    report["previous_weights_profession_always"] = metrics(rankings, judgements)
    return report


def main() -> None:
    """Print one JSON document with every dev split's figures."""
    prefer_standard_library()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    paths = [Path(arg) for arg in sys.argv[1:]] or [
        DATA / "eval_form_dev.json",
        DATA / "eval_sheet_dev.json",
    ]
    if any("test" in path.name for path in paths):
        raise SystemExit("dev splits only")
    embedder = SentenceTransformerEmbedder()
    json.dump([evaluate(path, embedder) for path in paths], sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
