"""What the skills term adds to ranking: nDCG@10 with and without it, by weight.

Each evaluation set (mentors, mentee requests, graded judgements) is indexed once
with the ONNX int8 embedder; the requests are then ranked with the skills weight at
0 (no skills term) and at a few values, on two bases: semantic weights only, and the
service's default weights. Each request's hard filters (``filters`` in the set) are
applied as the API would. Profiles are tagged from their text only (nobody confirmed
tags): the figures are what automatic tagging alone is worth.

Prints one JSON document, with tagging coverage (share of mentors and requests with
at least one tag, mean tags) per set. Use dev splits only to choose the weight.

Usage: python bench/matching_skills.py [SET.json ...]   (default: the form and sheet dev splits)
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from matching_quality import to_profile
from matching_service.adapters.embedder import OnnxEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.model import SuggestionQuery
from matching_service.domain.ranking_weights import RankingWeights

DATA = Path(__file__).resolve().parent / "data"
CUTOFF = 10
SKILL_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)
SEMANTIC_ONLY = RankingWeights(
    semantic=1.0, profession=0.0, grade=0.0, region=0.0, open_requests=0.0, slow_replies=0.0
)


def ndcg(rankings: dict[str, list[str]], judgements: dict[str, dict[str, int]]) -> float:
    """Mean nDCG@10 with graded gains 2^rel - 1."""
    scores = []
    for query_id, ranked in rankings.items():
        grades = judgements.get(query_id, {})
        gains = [2 ** grades.get(pid, 0) - 1 for pid in ranked[:CUTOFF]]
        dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
        ideal = sorted((2**grade - 1 for grade in grades.values()), reverse=True)[:CUTOFF]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        scores.append(dcg / idcg if idcg else 0.0)
    return round(float(np.mean(scores)), 4)


def query_for(record: dict[str, Any]) -> SuggestionQuery:
    """The request's hard filters, as the API would set them."""
    filters = record.get("filters") or {}
    return SuggestionQuery(
        role="mentor",
        exclude_own_department=bool(filters.get("exclude_own_department", False)),
        min_grade=filters.get("min_grade"),
        region=filters.get("region"),
        accept_remote=bool(filters.get("accept_remote", True)),
        allow_any_grade=True,
        limit=CUTOFF,
    )


def evaluate(path: Path, embedder: OnnxEmbedder) -> dict[str, Any]:
    """Coverage and nDCG@10 by skills weight on one set."""
    data = json.loads(path.read_text(encoding="utf-8"))
    mentors = [to_profile(record) for record in data["mentors"]]
    mentees = [to_profile(record) for record in data["mentees"]]
    queries = {record["profile_id"]: query_for(record) for record in data["mentees"]}
    matcher = build_matcher(embedder)
    matcher.index_profiles([*mentors, *mentees])
    report: dict[str, Any] = {
        "mentors_tagged": round(float(np.mean([bool(m.offered_skills) for m in mentors])), 3),
        "mentor_mean_tags": round(float(np.mean([len(m.offered_skills) for m in mentors])), 2),
        "requests_tagged": round(float(np.mean([bool(m.sought_skills) for m in mentees])), 3),
        "request_mean_tags": round(float(np.mean([len(m.sought_skills) for m in mentees])), 2),
    }
    for base_name, base in (("semantic_only", SEMANTIC_ONLY), ("default", RankingWeights())):
        by_weight: dict[str, float] = {}
        for weight in SKILL_WEIGHTS:
            matcher.weights = replace(base, skills=weight)
            rankings = {
                mentee_id: [s.profile_id for s in matcher.suggest(mentee_id, query)]
                for mentee_id, query in queries.items()
            }
            by_weight[f"skills={weight}"] = ndcg(rankings, data["judgements"])
        report[f"ndcg@10_{base_name}"] = by_weight
    return report


def main() -> None:
    """Evaluate every set given and print one JSON document."""
    parser = argparse.ArgumentParser(description="Skills term ablation")
    parser.add_argument(
        "sets",
        nargs="*",
        type=Path,
        default=[DATA / "eval_form_dev.json", DATA / "eval_sheet_dev.json"],
    )
    args = parser.parse_args()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    embedder = OnnxEmbedder()
    report = {path.name: evaluate(path, embedder) for path in args.sets}
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
