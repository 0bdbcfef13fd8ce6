"""Ranking quality of the matcher against two baselines, on the generated evaluation set.

Prints JSON: nDCG@10 (graded gains 2^rel - 1), Recall@10 (relevant mentors in the top
10 over min(10, relevant mentors)), and MRR (reciprocal rank of the first relevant
mentor within the top 100) for:

  phrase_matcher            the service's matcher (FAISS retrieval with the hard
                            filters as an id selector, then phrase-level re-ranking),
                            semantic weights only: the judgements are about topics
  phrase_matcher_default    the same with the default weights (profession, grade and
                            region fit included), for reference
  whole_text_cosine         one vector per whole bio against one per whole goals text
  bm25                      Okapi BM25 of the goals text over the bios (keyword baseline)

and, unless --no-onnx, the two embedding methods again with the ONNX int8 embedder.

The set is made by make_matching_eval.py from latent topics; no matcher was involved.
Usage: python bench/matching_quality.py [--dev] [--no-onnx]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from matching_service.adapters.embedder import OnnxEmbedder, SentenceTransformerEmbedder
from matching_service.adapters.snapshot import build_matcher
from matching_service.domain.model import PersonProfile, SuggestionQuery
from matching_service.domain.ranking import RankingWeights
from matching_service.domain.texts import offer_phrases, seek_phrases
from matching_service.service.ports import Embedder

DATA = Path(__file__).resolve().parent / "data"
CUTOFF = 10
MRR_DEPTH = 100
SEMANTIC_ONLY = RankingWeights(
    semantic=1.0, profession=0.0, grade=0.0, region=0.0, open_requests=0.0, slow_replies=0.0
)
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "by",
        "for",
        "from",
        "has",
        "have",
        "i",
        "i'm",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "do",
        "don't",
        "not",
        "how",
        "about",
        "into",
        "just",
        "there",
        "than",
        "then",
        "also",
        "can",
    ]
)


def prefer_standard_library() -> None:
    """Search this folder after the standard library.

    A script's own folder comes first on sys.path, and bench/profile.py would then
    shadow the standard library's profiler, which torch imports (cProfile) when the
    model loads. Call before loading a model.
    """
    here = Path(__file__).resolve().parent
    if sys.path and Path(sys.path[0] or ".").resolve() == here:
        sys.path.append(sys.path.pop(0))


# --- data ------------------------------------------------------------------------


def load_set(dev: bool) -> dict[str, Any]:
    """The evaluation (or tuning) set."""
    name = "matching_eval_dev.json" if dev else "matching_eval.json"
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def to_profile(record: dict[str, Any]) -> PersonProfile:
    """A generated record as a domain profile."""
    roles = frozenset(role for role, on in record["roles"].items() if on)
    return PersonProfile(
        profile_id=record["profile_id"],
        roles=roles,
        department=record.get("department"),
        profession=record.get("profession"),
        grade=record.get("grade"),
        region=record.get("region"),
        travel_regions=frozenset(record.get("travel_regions", [])),
        remote_ok=record.get("remote_ok", True),
        job_title=record.get("job_title"),
        expertise=tuple(record.get("expertise", [])),
        expertise_text=record.get("expertise_text", ""),
        experience_text=record.get("experience_text", ""),
        goals=tuple(record.get("goals", [])),
        goals_text=record.get("goals_text", ""),
        capacity=record.get("capacity", 0),
    )


def bio_text(profile: PersonProfile) -> str:
    """Everything a mentor wrote, as one text."""
    parts = [*profile.expertise, profile.expertise_text, profile.experience_text]
    if profile.job_title:
        parts.append(profile.job_title)
    return ". ".join(part for part in parts if part)


def goals_text(profile: PersonProfile) -> str:
    """Everything a mentee wrote about their goals, as one text."""
    return ". ".join(part for part in [*profile.goals, profile.goals_text] if part)


# --- metrics ---------------------------------------------------------------------


def metrics(
    rankings: dict[str, list[str]], judgements: dict[str, dict[str, int]]
) -> dict[str, float]:
    """Mean nDCG@10, Recall@10 and MRR over the queries."""
    ndcgs, recalls, reciprocal_ranks = [], [], []
    for query_id, ranked in rankings.items():
        grades = judgements.get(query_id, {})
        gains = [2 ** grades.get(pid, 0) - 1 for pid in ranked[:CUTOFF]]
        dcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(gains))
        ideal = sorted((2**grade - 1 for grade in grades.values()), reverse=True)[:CUTOFF]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        ndcgs.append(dcg / idcg if idcg else 0.0)
        relevant = {pid for pid, grade in grades.items() if grade > 0}
        if relevant:
            hits = sum(1 for pid in ranked[:CUTOFF] if pid in relevant)
            recalls.append(hits / min(CUTOFF, len(relevant)))
        first = next(
            (rank for rank, pid in enumerate(ranked[:MRR_DEPTH], 1) if pid in relevant), None
        )
        reciprocal_ranks.append(1.0 / first if first else 0.0)
    return {
        "ndcg@10": round(float(np.mean(ndcgs)), 4),
        "recall@10": round(float(np.mean(recalls)), 4),
        "mrr": round(float(np.mean(reciprocal_ranks)), 4),
    }


# --- methods ---------------------------------------------------------------------


def rank_phrase_matcher(
    embedder: Embedder,
    mentors: Sequence[PersonProfile],
    mentees: Sequence[PersonProfile],
    weights: RankingWeights,
) -> tuple[dict[str, list[str]], float]:
    """The service's matcher; returns rankings and seconds spent indexing."""
    matcher = build_matcher(embedder, weights=weights)
    started = time.perf_counter()
    matcher.index_profiles([*mentors, *mentees])
    indexing = time.perf_counter() - started
    # No hard filter narrows the set here (any grade, no region): judgements are topical.
    query = SuggestionQuery(role="mentor", allow_any_grade=True, limit=MRR_DEPTH)
    rankings = {
        mentee.profile_id: [s.profile_id for s in matcher.suggest(mentee.profile_id, query)]
        for mentee in mentees
    }
    return rankings, indexing


def rank_whole_text(
    embedder: Embedder,
    mentors: Sequence[PersonProfile],
    mentees: Sequence[PersonProfile],
    topical_only: bool = False,
) -> dict[str, list[str]]:
    """One vector per whole bio and per whole goals text, ranked by cosine.

    With ``topical_only`` the texts are first cut down to the goal and offer clauses
    the matcher keeps (an ablation, to compare like with like).
    """
    bios = [bio_text(mentor) for mentor in mentors]
    goals = [goals_text(mentee) for mentee in mentees]
    if topical_only:
        bios = [". ".join(offer_phrases(mentor)) for mentor in mentors]
        goals = [". ".join(seek_phrases(mentee)) for mentee in mentees]
    bio_vectors = embedder.embed(bios)
    queries = embedder.embed(goals)
    return _rank_by_scores(queries @ bio_vectors.T, mentors, mentees)


def _tokens(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


def rank_bm25(
    mentors: Sequence[PersonProfile],
    mentees: Sequence[PersonProfile],
    k1: float = 1.5,
    b: float = 0.75,
) -> dict[str, list[str]]:
    """Okapi BM25 of each goals text over the mentors' bios."""
    documents = [Counter(_tokens(bio_text(mentor))) for mentor in mentors]
    lengths = np.array([sum(doc.values()) for doc in documents], dtype=np.float64)
    average = float(lengths.mean())
    frequency: Counter[str] = Counter(term for doc in documents for term in doc)
    count = len(documents)
    scores = np.zeros((len(mentees), count))
    for row, mentee in enumerate(mentees):
        for term in set(_tokens(goals_text(mentee))):
            if term not in frequency:
                continue
            idf = math.log(1 + (count - frequency[term] + 0.5) / (frequency[term] + 0.5))
            for column, doc in enumerate(documents):
                tf = doc.get(term, 0)
                if tf:
                    norm = tf + k1 * (1 - b + b * lengths[column] / average)
                    scores[row, column] += idf * tf * (k1 + 1) / norm
    return _rank_by_scores(scores, mentors, mentees)


def _rank_by_scores(
    scores: np.ndarray[Any, Any], mentors: Sequence[PersonProfile], mentees: Sequence[PersonProfile]
) -> dict[str, list[str]]:
    ids = [mentor.profile_id for mentor in mentors]
    rankings: dict[str, list[str]] = {}
    for row, mentee in enumerate(mentees):
        order = sorted(range(len(ids)), key=lambda column: (-scores[row, column], ids[column]))
        rankings[mentee.profile_id] = [ids[column] for column in order[:MRR_DEPTH]]
    return rankings


# --- report ----------------------------------------------------------------------


def evaluate_embedder(
    name: str,
    embedder: Embedder,
    mentors: Sequence[PersonProfile],
    mentees: Sequence[PersonProfile],
    judgements: dict[str, dict[str, int]],
    with_default_weights: bool,
) -> dict[str, Any]:
    """Metrics of the embedding-based methods for one embedder."""
    results: dict[str, Any] = {}
    rankings, indexing = rank_phrase_matcher(embedder, mentors, mentees, SEMANTIC_ONLY)
    results["phrase_matcher"] = {
        **metrics(rankings, judgements),
        "index_seconds": round(indexing, 2),
    }
    if with_default_weights:
        rankings, _ = rank_phrase_matcher(embedder, mentors, mentees, RankingWeights())
        results["phrase_matcher_default_weights"] = metrics(rankings, judgements)
    results["whole_text_cosine"] = metrics(rank_whole_text(embedder, mentors, mentees), judgements)
    return {name: results}


def sweep(
    embedder: Embedder,
    mentors: Sequence[PersonProfile],
    mentees: Sequence[PersonProfile],
    judgements: dict[str, dict[str, int]],
) -> dict[str, Any]:
    """nDCG@10 for a few aggregation settings (run with --dev to choose defaults)."""
    results: dict[str, Any] = {}
    for best_goal_share in (0.0, 0.3):
        for profile_share in (0.0, 0.2, 0.4, 0.6):
            weights = replace(
                SEMANTIC_ONLY, best_goal_share=best_goal_share, profile_share=profile_share
            )
            rankings, _ = rank_phrase_matcher(embedder, mentors, mentees, weights)
            key = f"best_goal_share={best_goal_share},profile_share={profile_share}"
            results[key] = metrics(rankings, judgements)
    return results


def main() -> None:
    """Run every method and print one JSON document."""
    parser = argparse.ArgumentParser(description="Matching quality")
    parser.add_argument("--dev", action="store_true", help="use the tuning set")
    parser.add_argument("--no-onnx", action="store_true", help="skip the ONNX int8 embedder")
    parser.add_argument("--sweep", action="store_true", help="also sweep aggregation settings")
    args = parser.parse_args()
    prefer_standard_library()
    # Logs go to stderr: stdout carries the JSON report only.
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    data = load_set(args.dev)
    mentors = [to_profile(record) for record in data["mentors"]]
    mentees = [to_profile(record) for record in data["mentees"]]
    judgements: dict[str, dict[str, int]] = data["judgements"]
    report: dict[str, Any] = {
        "dataset": {
            "file": "matching_eval_dev.json" if args.dev else "matching_eval.json",
            "mentors": len(mentors),
            "mentee_requests": len(mentees),
            "mean_relevant_per_request": round(
                float(np.mean([len(grades) for grades in judgements.values()])), 1
            ),
        },
        "bm25": metrics(rank_bm25(mentors, mentees), judgements),
    }
    torch_embedder = SentenceTransformerEmbedder()
    report.update(
        evaluate_embedder("torch_fp32", torch_embedder, mentors, mentees, judgements, True)
    )
    if args.sweep:
        report["sweep_torch_fp32"] = sweep(torch_embedder, mentors, mentees, judgements)
    if not args.no_onnx:
        onnx_embedder = OnnxEmbedder()
        report.update(
            evaluate_embedder("onnx_int8", onnx_embedder, mentors, mentees, judgements, False)
        )
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
